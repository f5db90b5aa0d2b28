"""The Kubernetes manifests in deploy/kubernetes parse, and every `wattprint` command they run
exists with the flags they pass (a renamed flag breaks this test, not a cluster)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest
import yaml

from wattprint.cli import build_parser, command_paths

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "kubernetes"
MANIFESTS = sorted(DEPLOY.glob("*.yaml"))
REQUIRES = "wattprint.dev/requires"


def _subparser(parser: argparse.ArgumentParser, path: tuple[str, ...]) -> argparse.ArgumentParser:
    for word in path:
        action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = action.choices[word]
    return parser


def _containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    spec = doc.get("spec", {}).get("template", {}).get("spec", {})
    return list(spec.get("containers", [])) + list(spec.get("initContainers", []))


def _wattprint_commands(doc):
    for c in _containers(doc):
        cmd = [str(x) for x in c.get("command", []) + c.get("args", [])]
        if cmd and cmd[0] == "wattprint":
            yield c, cmd[1:]


def _check(argv: list[str], env: dict[str, str]) -> None:
    words = tuple(w for w in argv if not w.startswith("-"))
    commands = set(command_paths())
    path = max((p for p in commands if words[:len(p)] == p), key=len, default=None)
    assert path is not None, f"`wattprint {' '.join(argv)}`: no such command"
    sub = _subparser(build_parser(), path)
    known = {s for a in sub._actions for s in a.option_strings}
    flags = [w for w in argv if w.startswith("--")]
    unknown = [f for f in flags if f.split("=")[0] not in known]
    assert not unknown, f"`wattprint {' '.join(argv)}`: unknown flags {unknown}"
    sub.parse_args(argv[len(path):])     # values of the right types


def _docs():
    out = []
    for f in MANIFESTS:
        for doc in yaml.safe_load_all(f.read_text()):
            if doc:
                out.append(pytest.param(f.name, doc, id=f"{f.name}:{doc['kind']}",
                                        marks=[pytest.mark.xfail(strict=True, reason=doc[
                                            "metadata"]["annotations"][REQUIRES])]
                                        if REQUIRES in doc["metadata"].get("annotations", {})
                                        else []))
    return out


def test_the_manifests_exist_and_name_the_exporter_daemonset():
    kinds = [(d["kind"], d["metadata"]["name"]) for f in MANIFESTS
             for d in yaml.safe_load_all(f.read_text()) if d]
    assert ("DaemonSet", "wattprint-exporter") in kinds
    assert ("Deployment", "vllm-with-wattprint-proxy") in kinds


@pytest.mark.parametrize("name, doc", _docs())
def test_every_wattprint_command_in_a_manifest_exists_with_its_flags(name, doc):
    for container, argv in _wattprint_commands(doc):
        env = {e["name"]: e for e in container.get("env", [])}
        _check(argv, env)
        # the Downward API variables the exporter reads for its pod labels (meters/k8s.py)
        for var, path in (("POD_NAME", "metadata.name"), ("POD_NAMESPACE", "metadata.namespace"),
                          ("NODE_NAME", "spec.nodeName")):
            assert env[var]["valueFrom"]["fieldRef"]["fieldPath"] == path, (name, var)
        ports = {p["containerPort"] for p in container.get("ports", [])}
        for flag in ("--port", "--metrics-port", "--listen"):
            if flag in argv:
                port = int(argv[argv.index(flag) + 1].rpartition(":")[2])
                assert port in ports, (name, flag, "port not exposed")
