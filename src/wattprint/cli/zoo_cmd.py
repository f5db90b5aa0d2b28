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
    bd.add_argument("--real", action="store_true",
                    help="build the real-weights zoo instead: the fortunes4 data set, SmolLM2 "
                         "(pretrained) and the MiniLM topic classifier (fine-tuned here, seeded); "
                         "prints each hub id, snapshot commit and what the build recorded")
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
    from wattprint.backends.weights import REAL_MODELS

    print("\nreal-weights zoo (hub ids, from wattprint's hub-layout cache; `zoo build --real`):")
    for m in REAL_MODELS.values():
        src = m.source
        print(f"{m.repo_id:40s} {m.task:22s} weights: {m.weights}; {src.package}=={src.version} "
              f"({src.file}, sha256 {src.file_sha256[:12]}…, {src.licence})")
    return 0


def _build(args: argparse.Namespace) -> int:
    from wattprint.backends.zoo import DEFAULT_ZOO_MODELS, build, parse_ref

    if args.real:
        return _build_real(args.names)

    names = args.names or [parse_ref(ref)[0] for ref in DEFAULT_ZOO_MODELS.values()]
    for name in names:
        print(f"zoo:{name}@{args.size}\t{build(name, args.size)}", flush=True)
    return 0


def _build_real(names: list[str]) -> int:
    from wattprint.backends.weights import (
        FORTUNES_DATASET,
        build_dataset,
        build_model,
        read_marker,
    )

    if FORTUNES_DATASET in names or not names:
        snap = build_dataset()
        data = (read_marker(snap.path) or {}).get("data", {})
        print(f"{snap.repo_id}\tdataset\tcommit {snap.commit}\t{data.get('train')} train / "
              f"{data.get('test')} test texts\t{snap.path}", flush=True)
    from wattprint.backends.weights import REAL_MODELS

    for repo_id in [n for n in names if n != FORTUNES_DATASET] or list(REAL_MODELS):
        snap = build_model(repo_id)
        marker = read_marker(snap.path) or {}
        ft = marker.get("fine_tune") or {}
        how = (f"held-out accuracy {ft['heldout_accuracy']:.3f} (majority class "
               f"{ft['majority_accuracy']:.3f}, n={ft['heldout_n']}), {ft['steps']} steps in "
               f"{ft['duration_s']:.0f} s" if ft else f"built in {marker.get('build_duration_s')} s")
        print(f"{snap.repo_id}\tweights: {marker.get('weights')}\tcommit {snap.commit}\t{how}\t"
              f"{snap.path}", flush=True)
    return 0
