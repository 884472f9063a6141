"""The HTTP service (SPEC §11) and the JSON Schemas it publishes.

:mod:`safetyrules.service.schemas` needs only the core dependencies (the CLI's
``schema facts|decision`` reads it); :mod:`safetyrules.service.app` needs the
``serve`` extra (Starlette, uvicorn).
"""
