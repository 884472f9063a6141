"""``python -m safetyrules`` is the ``safetyrules`` command."""

from safetyrules.cli.main import entry

entry()
