"""The package version, in a foundation module of its own.

Lower stages (the SARIF writer, the CLI's ``--version``) read it from here,
never from the package ``safetyrules`` itself: that package imports the
engine, so importing it from below would point an import upwards.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
