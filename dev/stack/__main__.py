"""`python dev/stack serve --dir DIR` or `python dev/stack up` (see __init__)."""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from pathlib import Path

if not __package__:
    # Run as `python dev/stack`: Python put dev/stack itself first on the path;
    # put dev/ there instead so `stack` imports as the package (as pip's __main__ does).
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import stack
from stack.serve import running, serve


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python dev/stack", description=stack.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    serve_cmd = sub.add_parser("serve", help="start in DIR and wait (used by tests and the demo)")
    serve_cmd.add_argument("--dir", type=Path, required=True)
    sub.add_parser("up", help="start in a temp dir and wait for Ctrl-C")
    args = parser.parse_args()
    if args.command == "serve":
        serve(args.dir)
    else:
        with running() as info:
            print(
                f"stack up in {info.start_seconds:.2f}s. In another shell:\n"
                f"  source {info.dir}/env   # then AWS_PROFILE=alice|bob|carol|dave|admin"
            )
            with contextlib.suppress(KeyboardInterrupt):
                while True:
                    time.sleep(1)


if __name__ == "__main__":
    main()
