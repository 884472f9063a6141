"""A real ``safetyrules serve`` on 127.0.0.1, started once per session
(``server``, ``client``); ``http`` is a client of the module's own ``srv``
fixture (base URL, port, stderr path: see ``service_fixtures.serving``)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("uvicorn")
pytest.importorskip("starlette")

from service_fixtures import Server  # noqa: E402


@pytest.fixture(scope="session")
def server():
    s = Server()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def client(server):
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


@pytest.fixture(scope="module")
def http(srv):
    with httpx.Client(base_url=srv[0], timeout=30) as c:
        yield c


@pytest.fixture(scope="session")
def rules():
    import safetyrules

    return safetyrules.load()
