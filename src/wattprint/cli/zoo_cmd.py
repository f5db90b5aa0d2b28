"""``wattprint zoo list`` and ``wattprint zoo build``: the offline model zoo."""

from __future__ import annotations

import argparse

from wattprint.cli.common import help_of


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``zoo`` command group."""
    parser = sub.add_parser("zoo", help="the offline model zoo (random weights, real architectures)",
                            description="Models of the study's real architectures with random weights and "
                            "locally trained tokenizers, built offline and cached. Refer to them as "
                            "zoo:<name> or zoo:<name>@<size>.")
    zsub = parser.add_subparsers(dest="zoo_command", metavar="ZOO_COMMAND")
    ls = zsub.add_parser("list", help="list zoo models, their task and the study model they copy")
    ls.set_defaults(func=_list)
    bd = zsub.add_parser("build", help="build (or find cached) zoo models and print their folders")
    bd.add_argument("names", nargs="*", help="zoo model names (default: the default model of every task)")
    bd.add_argument("--size", default="tiny", help="tiny (default) or real-size")
    bd.set_defaults(func=_build)
    parser.set_defaults(func=help_of(parser))


def _list(args: argparse.Namespace) -> int:
    from wattprint.backends.zoo import DEFAULT_ZOO_MODELS, list_models, parse_ref

    defaults = {parse_ref(ref)[0] for ref in DEFAULT_ZOO_MODELS.values()}
    print(f"{'name':20s} {'task':22s} {'copies':56s} default")
    for spec in list_models():
        role = "zero-shot" if spec.zero_shot else ("yes" if spec.name in defaults else "")
        print(f"{spec.name:20s} {spec.task:22s} {spec.study_model:56s} {role}")
    print("sizes: tiny (tests), real-size (the study model's dimensions). Weights are random.")
    return 0


def _build(args: argparse.Namespace) -> int:
    from wattprint.backends.zoo import DEFAULT_ZOO_MODELS, build, parse_ref

    names = args.names or [parse_ref(ref)[0] for ref in DEFAULT_ZOO_MODELS.values()]
    for name in names:
        print(f"zoo:{name}@{args.size}\t{build(name, args.size)}", flush=True)
    return 0
