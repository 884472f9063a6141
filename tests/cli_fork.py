"""``python -m safetyrules ARGS`` for the tests, without paying the
interpreter start and the package import for every call.

:func:`run` takes the arguments of ``subprocess.run`` for the command
``[sys.executable, "-m", "safetyrules", *args]``.  One helper interpreter
(started once, on first use, in the working directory of the test run, so
that it imports the ``safetyrules`` a ``python -m`` from there would)
imports ``safetyrules.cli.main`` and nothing else, and then forks one child
per call: the child takes the call's pipes as its fds 0, 1 and 2, its
working directory and ``os.environ``, and runs the package as ``-m`` does
(``runpy._run_module_as_main``), exiting through the interpreter's normal
shutdown.  So each call is still its own process, with real bytes on real
pipes and a real exit status; what it shares with the other calls is only
the imports already done (safetyrules reads no environment variable at
import time) and the hash seed.

A call with anything this does not reproduce exactly falls back to
``subprocess.run``: an ``env`` (or ``os.environ``) whose ``PYTHON*``,
locale or ``VIRTUAL_ENV`` variables differ from the helper's (a hash seed,
a locale, another PYTHONPATH ...), ``shell``, ``preexec_fn`` and other
options it does not know, or a helper that cannot start.  ``SAFETYRULES_TESTS_NO_FORK=1`` makes every call
a plain subprocess (to compare the two).
"""

from __future__ import annotations

import atexit
import io
import locale
import os
import pickle
import socket
import struct
import subprocess
import sys
import threading

_KNOWN = {"env", "capture_output", "text", "cwd", "input", "timeout", "check", "stdin", "stdout", "stderr", "encoding",
          "errors", "universal_newlines"}
#: variables read while the interpreter starts or imports: a call that sees
#: them differently from the helper runs as a plain subprocess
_STARTUP = ("PYTHON", "LANG", "LC_", "VIRTUAL_ENV")

_BOOT = r"""
import os, pickle, runpy, socket, struct, sys
import safetyrules.cli.main  # noqa: F401  the import every call shares
sock = socket.socket(fileno=int(sys.argv[1]))
def recv(n):
    b = b""
    while len(b) < n:
        c = sock.recv(n - len(b))
        if not c:
            raise SystemExit(0)
        b += c
    return b
while True:
    msg, fds, _, _ = socket.recv_fds(sock, 4, 3)
    if not msg:
        raise SystemExit(0)
    (n,) = struct.unpack("!I", msg + recv(4 - len(msg)))
    req = pickle.loads(recv(n))
    for s in (sys.stdout, sys.stderr):
        s.flush()
    pid = os.fork()
    if pid == 0:
        sock.close()
        for i, fd in enumerate(fds):
            os.dup2(fd, i)
            os.close(fd)
        os.chdir(req["cwd"])
        os.environ.clear()
        os.environ.update(req["env"])
        sys.path[0] = os.getcwd()
        sys.argv = ["-m", *req["args"]]
        runpy._run_module_as_main("safetyrules")
        raise SystemExit(0)
    for fd in fds:
        os.close(fd)
    sock.sendall(struct.pack("!Ii", 0, pid))
    _, status = os.waitpid(pid, 0)
    sock.sendall(struct.pack("!Ii", 1, os.waitstatus_to_exitcode(status)))
"""

_lock = threading.Lock()
_helper = None  # (Popen, socket, startup env) once started; False if it cannot start


def _startup_env(env):
    return {k: v for k, v in env.items() if k.startswith(_STARTUP)}


def _start():
    global _helper
    if _helper is None:
        try:
            parent, child = socket.socketpair()
            proc = subprocess.Popen([sys.executable, "-c", _BOOT, str(child.fileno())], pass_fds=(child.fileno(),),
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            child.close()
            _helper = (proc, parent, _startup_env(os.environ))
            atexit.register(_stop)
        except OSError:  # pragma: no cover - depends on the machine
            _helper = False
    return _helper


def _stop():
    if _helper:
        proc, sock, _ = _helper
        sock.close()  # the helper reads EOF and exits
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:  # pragma: no cover
            proc.kill()


def _recv(sock, n):
    b = b""
    while len(b) < n:
        c = sock.recv(n - len(b))
        if not c:
            raise ConnectionError("the CLI fork helper went away")
        b += c
    return b


def run(args, **kw):
    """``subprocess.run([sys.executable, "-m", "safetyrules", *args], **kw)``."""
    argv = [str(a) for a in args]
    cmd = [sys.executable, "-m", "safetyrules", *argv]
    if (os.environ.get("SAFETYRULES_TESTS_NO_FORK") or set(kw) - _KNOWN or not hasattr(os, "fork")
            or kw.get("stdin") not in (None,) or kw.get("stdout") not in (None, subprocess.PIPE)
            or kw.get("stderr") not in (None, subprocess.PIPE, subprocess.STDOUT)):
        return subprocess.run(cmd, **kw)
    with _lock:
        helper = _start()
        env = kw.get("env")
        env = dict(os.environ if env is None else env)
        if not helper or helper[0].poll() is not None or _startup_env(env) != helper[2]:
            return subprocess.run(cmd, **kw)
        kw["env"] = env
        return _run(helper[1], cmd, argv, **kw)


def _run(sock, cmd, argv, env, capture_output=False, text=None, cwd=None, input=None, timeout=None, check=False,
         stdin=None, stdout=None, stderr=None, encoding=None, errors=None, universal_newlines=None):
    if capture_output:
        stdout = stderr = subprocess.PIPE
    text = bool(text or universal_newlines or encoding or errors)
    close_after, fds = [], []
    r_in = w_in = None
    if input is not None:
        r_in, w_in = os.pipe()
        fds.append(r_in)
        close_after.append(r_in)
    else:
        try:
            os.fstat(0)
            fds.append(0)
        except OSError:  # no fd 0 to pass on: /dev/null instead
            r_in = os.open(os.devnull, os.O_RDONLY)
            fds.append(r_in)
            close_after.append(r_in)
            r_in = None
    pipes = {}
    for name, want, default in (("stdout", stdout, 1), ("stderr", stderr, 2)):
        if want == subprocess.PIPE:
            r, w = os.pipe()
            pipes[name] = r
            fds.append(w)
            close_after.append(w)
        elif want == subprocess.STDOUT:
            fds.append(fds[1])
        else:
            fds.append(default)
    req = pickle.dumps({"args": argv, "cwd": os.path.abspath(cwd) if cwd is not None else os.getcwd(),
                        "env": env})
    try:
        socket.send_fds(sock, [struct.pack("!I", len(req))], fds)
        sock.sendall(req)
    finally:
        for fd in close_after:
            os.close(fd)
    _, pid = struct.unpack("!Ii", _recv(sock, 8))
    out = {}

    def drain(name, fd):
        chunks = []
        with open(fd, "rb", closefd=True) as fh:
            while True:
                c = fh.read1(65536) if hasattr(fh, "read1") else fh.read(65536)
                if not c:
                    break
                chunks.append(c)
        out[name] = b"".join(chunks)

    threads = [threading.Thread(target=drain, args=(n, fd), daemon=True) for n, fd in pipes.items()]
    if w_in is not None:
        data = input.encode(encoding or locale.getpreferredencoding(False), errors or "strict") if isinstance(input, str) else input

        def feed():
            with open(w_in, "wb", closefd=True) as fh:
                try:
                    fh.write(data)
                except BrokenPipeError:
                    pass

        threads.append(threading.Thread(target=feed, daemon=True))
    for t in threads:
        t.start()
    sock.settimeout(timeout)
    try:
        _, code = struct.unpack("!Ii", _recv(sock, 8))
    except socket.timeout:
        os.kill(pid, 9)
        sock.settimeout(None)
        _recv(sock, 8)
        for t in threads:
            t.join()
        raise subprocess.TimeoutExpired(cmd, timeout, output=out.get("stdout"), stderr=out.get("stderr"))
    finally:
        sock.settimeout(None)
    for t in threads:
        t.join()

    def decode(b):
        if b is None or not text:
            return b
        return io.TextIOWrapper(io.BytesIO(b), encoding=encoding or locale.getpreferredencoding(False),
                                errors=errors or "strict").read()

    done = subprocess.CompletedProcess(cmd, code, decode(out.get("stdout")), decode(out.get("stderr")))
    if check:
        done.check_returncode()
    return done
