"""The ``mobilenet-course`` command line. ``mobilenet-course --help`` lists the commands."""

from __future__ import annotations

import argparse
import sys

from . import costs, tables
from .names import from_name


def _profile(args: argparse.Namespace) -> int:
    model = from_name(args.model, num_classes=args.num_classes, in_channels=args.in_channels,
                      small_input=args.small_input)
    print(costs.profile(model).to_text())
    return 0


def _tables(args: argparse.Namespace) -> int:
    for table in (tables.table1(), *tables.multiplier_tables(), *tables.variant_tables()):
        print(table.to_text(), end="\n\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mobilenet-course", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = commands.add_parser("profile", help="per-layer mult-adds and parameters of a model")
    p.add_argument("model", help="a paper name such as 0.75-MobileNet-128 (or 0.75_MobileNet_small)")
    p.add_argument("--num-classes", type=int, default=1000, help="classifier outputs (default 1000)")
    p.add_argument("--in-channels", type=int, default=3, help="image channels (default 3)")
    p.add_argument("--small-input", action="store_true", help="stride-1 first conv for 28-32 px images")
    p.set_defaults(run=_profile)

    p = commands.add_parser("tables", help="the paper's Tables 1 and 4-7 rebuilt from the package")
    p.set_defaults(run=_tables)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except ValueError as error:
        print(f"mobilenet-course: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
