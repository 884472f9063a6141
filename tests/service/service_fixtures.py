"""The real-server helper the service tests share (a uniquely named
module, so test folders import it in any order)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import contextlib
import threading
import time

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A server process; ``url`` is its base URL."""

    def __init__(self, *args: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "safetyrules", "serve", "--port", str(self.port), *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited: " + self.proc.stderr.read().decode())
            try:
                if httpx.get(self.url + "/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("server did not start")
            time.sleep(0.1)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()




@contextlib.contextmanager
def serving(err_path, *args: str):
    """``safetyrules serve`` on a free port with its stderr written to
    ``err_path``: yields (base URL, port, err_path); stopped on exit."""
    port = free_port()
    with open(err_path, "wb") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "safetyrules", "serve", "--port", str(port), *args],
                                stdout=subprocess.DEVNULL, stderr=fh)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, err_path.read_text()
            try:
                if httpx.get(url + "/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.1)
        yield url, port, err_path
    finally:
        proc.terminate()
        proc.wait(10)


def in_threads(url, n, jobs, call):
    """``call(client, job)`` for every job, from ``n`` threads started
    together (each with its own client of ``url``; thread k takes jobs k,
    k + n, ...): the results in the jobs' order (None where a thread did not
    finish within 120 s)."""
    results = [None] * len(jobs)
    barrier = threading.Barrier(n)

    def worker(k):
        with httpx.Client(base_url=url, timeout=60) as c:
            barrier.wait()
            for j in range(k, len(jobs), n):
                results[j] = call(c, jobs[j])

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results
