"""``python -m export``: data preparation (and, as models land, training, export and evaluation)."""

from __future__ import annotations

import argparse
import sys


def cmd_data(args: argparse.Namespace) -> int:
    if args.dataset == "demo":
        from export.data.demo_performance import write_demo

        for path in write_demo():
            print(path)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m export", description="mir-bridge training side: data, models, evaluation.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    data = sub.add_parser("data", help="prepare a data set", description="prepare a data set")
    data.add_argument("dataset", choices=["demo"], help="demo: the bundled performance of `bridge demo` (FluidSynth render)")
    data.set_defaults(func=cmd_data)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
