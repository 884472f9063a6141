"""Build hook: ship the bundled rule set (``standards/``) inside the package,
so a non-editable ``pip install .`` can evaluate from any directory.
All other metadata is in pyproject.toml."""

import os
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))


class build_py_with_standards(build_py):
    def run(self):
        super().run()
        src = os.path.join(HERE, "standards")
        dst = os.path.join(self.build_lib, "safetyrules", "standards")
        if os.path.isdir(src):
            if os.path.isdir(dst):
                shutil.rmtree(dst)
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("*.pyc", "__pycache__"))


setup(cmdclass={"build_py": build_py_with_standards})
