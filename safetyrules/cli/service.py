"""``safetyrules serve``: the HTTP service of SPEC §11 (extra ``serve``)."""

from __future__ import annotations

import os
import sys

__all__ = ["register"]


def _bytes(text: str) -> int:
    """--max-body: a whole number of bytes (``1MB`` or ``1e6`` said so)."""
    import argparse

    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of bytes, such as 1048576 for 1 MiB, got {text!r}") from None


def register(sub) -> None:
    """Add the ``serve`` subcommand."""
    p = sub.add_parser("serve", help="serve decisions over HTTP (needs safetyrules[serve])")
    p.add_argument("--rules", metavar="PATH", help="rule set (default: bundled)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default: 8000; 0 picks a free one, said on stderr)")
    p.add_argument("--max-body", type=_bytes, default=None, metavar="BYTES",
                   help="largest request body, a batch's whole body included (default: 1 MiB; larger answers 413)")
    p.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                   help="how long to wait for request body data (default: 30)")
    p.add_argument("--workers", type=int, default=1, metavar="N", help="worker processes (default: 1)")
    p.add_argument("--log-level", default="warning", choices=("critical", "error", "warning", "info", "debug"))
    p.set_defaults(func=_cmd_serve)


def _cmd_serve(args) -> int:
    try:
        import uvicorn  # noqa: F401
        import starlette  # noqa: F401
    except ImportError:
        print("error: 'serve' needs the serve extra: pip install 'safetyrules[serve]'", file=sys.stderr)
        return 2
    from safetyrules.errors import SafetyRulesError
    from safetyrules.engine.ruleset import load
    from safetyrules.service import app as service_app

    if args.max_body is not None and args.max_body < 1:
        print("error: --max-body must be a positive number of bytes", file=sys.stderr)
        return 2
    if not 0 <= args.port <= 65535:
        print(f"error: --port must be between 0 and 65535, got {args.port}", file=sys.stderr)
        return 2
    if args.workers < 1:
        print(f"error: --workers must be at least 1, got {args.workers}", file=sys.stderr)
        return 2
    if args.timeout is not None and not args.timeout > 0:
        print(f"error: --timeout must be a positive number of seconds, got {args.timeout}", file=sys.stderr)
        return 2
    problem, port = _cannot_listen(args.host, args.port)
    if problem:
        print(f"error: cannot listen on {args.host}:{args.port}: {problem}", file=sys.stderr)
        return 2
    # --port 0: the free port just found, so that it can be said where the
    # server listens (uvicorn, at the default log level, says nothing)
    args.port = port
    try:
        rules = load(args.rules)  # fail here, with a message, not in a worker
    except SafetyRulesError as exc:
        for e in getattr(exc, "errors", None) or [exc]:
            print(e.format(), file=sys.stderr)
        return 2
    # Workers are separate processes that build their app from the
    # environment; one worker reuses the rule set just loaded.
    if args.rules:
        os.environ[service_app.ENV_RULES] = os.path.abspath(args.rules)
    if args.max_body is not None:
        os.environ[service_app.ENV_MAX_BODY] = str(args.max_body)
    if args.timeout is not None:
        os.environ[service_app.ENV_TIMEOUT] = str(args.timeout)
    if getattr(args, "allow_outside_includes", False):
        os.environ[service_app.ENV_ALLOW_OUTSIDE] = "1"
    import uvicorn

    common = dict(host=args.host, port=args.port, log_level=args.log_level, access_log=False,
                  timeout_keep_alive=5)
    host = f"[{args.host}]" if ":" in args.host else args.host
    where = f"http://{host}:{args.port}"
    try:
        if args.workers > 1:
            print(f"safetyrules serve: rule set {rules.id} on {where} ({args.workers} workers)", file=sys.stderr, flush=True)
            uvicorn.run("safetyrules.service.app:app_from_env", factory=True, workers=args.workers, **common)
        else:
            app = service_app.create_app(
                rules,
                max_body=args.max_body or service_app.DEFAULT_MAX_BODY,
                timeout=args.timeout or service_app.DEFAULT_TIMEOUT,
            )
            print(f"safetyrules serve: rule set {rules.id} on {where}", file=sys.stderr, flush=True)
            uvicorn.run(app, **common)
    except SystemExit as exc:  # uvicorn's own startup failure (it has printed why)
        return 2 if exc.code not in (0, None) else 0
    return 0


def _cannot_listen(host: str, port: int):
    """(why the server could not listen on host:port, or None when it can;
    the port, a free one for port 0): an address in use or one that does
    not resolve is a user error, said before the server starts."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        return f"the address does not resolve ({getattr(exc, 'strerror', None) or exc})", port
    family, kind, proto, _, addr = infos[0]
    try:
        with socket.socket(family, kind, proto) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(addr)
            port = s.getsockname()[1]
    except OSError as exc:
        return exc.strerror or str(exc), port
    return None, port
