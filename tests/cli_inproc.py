"""The command line run in this process, for tests that call it many times
(no interpreter start): :func:`main_in_process` calls
:func:`safetyrules.cli.main.main` (what the console script calls, with the
same exception handling: exit 70 for a bug) with stdout and stderr captured;
argparse's own usage errors (``SystemExit``) give their exit code.  For a
real process with real pipes, see ``cli_fork.run``."""

import contextlib
import io


def main_in_process(args):
    """``main(list(args))`` → (exit code, stdout text, stderr text)."""
    from safetyrules.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse's own usage errors
            code = exc.code
    return code, out.getvalue(), err.getvalue()
