"""``python -m safetyrules`` is the ``safetyrules`` command."""

from .cli import entry

entry()
