"""Service benchmark: p50 latency of POST /v1/evaluate and requests/s.

Starts real ``safetyrules serve`` processes on 127.0.0.1 and calls them with
real clients: latency from one keep-alive httpx client, one request at a time
(1 worker); throughput with 2 workers, from ``wrk`` (Debian package) when it
is installed, else an asyncio/httpx load loop (which then shares the cores
with the server and under-reports).

    python benchmarks/bench_service.py [--facts examples/facts/restaurant-lpg.yaml]
        [--requests 2000] [--duration 10] [--connections 32]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import httpx
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(workers: int):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "safetyrules", "serve", "--port", str(port), "--workers", str(workers)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(url + "/v1/health", timeout=1).status_code == 200:
                time.sleep(0.5 if workers > 1 else 0)  # let every worker come up
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("server did not start")


def latency(url: str, body: bytes, n: int) -> dict:
    times = []
    with httpx.Client(base_url=url, headers={"content-type": "application/json"}) as c:
        for _ in range(200):  # warm up
            c.post("/v1/evaluate", content=body)
        for _ in range(n):
            t0 = time.perf_counter()
            r = c.post("/v1/evaluate", content=body)
            times.append(time.perf_counter() - t0)
            assert r.status_code == 200
    times.sort()
    return {
        "requests": n,
        "p50_ms": round(statistics.median(times) * 1000, 3),
        "p90_ms": round(times[int(0.9 * n)] * 1000, 3),
        "p99_ms": round(times[int(0.99 * n)] * 1000, 3),
    }


def throughput_wrk(url: str, body: bytes, duration: int, connections: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n')
        fh.write("wrk.body = " + json.dumps(body.decode("utf-8")) + "\n")
        script = fh.name
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "-s", script, url + "/v1/evaluate"],
        capture_output=True, text=True, check=True,
    ).stdout
    os.unlink(script)
    rps = next(float(line.split()[1]) for line in out.splitlines() if line.startswith("Requests/sec"))
    non2xx = [line for line in out.splitlines() if "Non-2xx" in line]
    return {"client": "wrk -t1", "connections": connections, "seconds": duration, "requests_per_s": round(rps), "non_2xx": non2xx}


def throughput_httpx(url: str, body: bytes, duration: int, connections: int) -> dict:
    import asyncio

    async def run():
        done = 0
        stop = time.perf_counter() + duration
        async with httpx.AsyncClient(base_url=url, limits=httpx.Limits(max_connections=connections)) as ac:
            async def worker():
                nonlocal done
                while time.perf_counter() < stop:
                    r = await ac.post("/v1/evaluate", content=body, headers={"content-type": "application/json"})
                    assert r.status_code == 200
                    done += 1
            await asyncio.gather(*(worker() for _ in range(connections)))
        return done

    n = asyncio.run(run())
    return {"client": "httpx.AsyncClient", "connections": connections, "seconds": duration, "requests_per_s": round(n / duration)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--facts", default=os.path.join(ROOT, "examples", "facts", "restaurant-lpg.yaml"))
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--connections", type=int, default=32)
    args = ap.parse_args()
    with open(args.facts, encoding="utf-8") as fh:
        body = json.dumps({"facts": yaml.safe_load(fh), "as_of": "2024-03-01"}).encode("utf-8")
    result = {"facts": os.path.relpath(args.facts, ROOT), "cpus": os.cpu_count()}
    proc, url = start(1)
    try:
        result["latency_1_worker"] = latency(url, body, args.requests)
    finally:
        proc.terminate()
        proc.wait()
    proc, url = start(2)
    try:
        if shutil.which("wrk"):
            result["throughput_2_workers"] = throughput_wrk(url, body, args.duration, args.connections)
        else:
            result["throughput_2_workers"] = throughput_httpx(url, body, args.duration, args.connections)
    finally:
        proc.terminate()
        proc.wait()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
