"""``safetyrules serve`` on a user's mistakes: a port in use, a port out of
range, an address that does not resolve — each is ``error: …`` and exit 2,
at once (not a hang, not uvicorn's exit 3)."""

import socket
import subprocess
import sys

import pytest

pytest.importorskip("uvicorn")


def serve(*args):
    p = subprocess.run([sys.executable, "-m", "safetyrules", "serve", *args], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stderr


def test_port_in_use():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        code, err = serve("--port", str(port))
    assert code == 2 and err.startswith(f"error: cannot listen on 127.0.0.1:{port}:"), err


@pytest.mark.parametrize("args,msg", [(("--port", "99999"), "--port must be between 0 and 65535"),
                                      (("--host", "256.1.1.1"), "does not resolve"),
                                      (("--workers", "0"), "--workers must be at least 1")])
def test_bad_options(args, msg):
    code, err = serve(*args)
    assert code == 2 and msg in err and "Traceback" not in err, err
