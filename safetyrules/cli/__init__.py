"""The command line: ``safetyrules COMMAND ...`` (see ``docs/cli.md``)."""

from safetyrules.cli.main import entry, main

__all__ = ["entry", "main"]
