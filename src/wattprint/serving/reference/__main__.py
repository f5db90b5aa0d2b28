"""``python -m wattprint.serving.reference``: run the reference engine in the foreground.

    python -m wattprint.serving.reference --dir /tmp/ref --mode serial --dialect llamacpp
    # prints its URL; then, with the simulated RAPL tree as the meter:
    wattprint load --endpoint URL --model reference-lm --rate 1 ...  (see docs/serving.md)

Stops on Ctrl-C or SIGTERM. Exit status 2 on a bad option.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from dataclasses import fields

from wattprint.errors import ConfigError
from wattprint.serving.reference.config import ReferenceConfig
from wattprint.serving.reference.server import ReferenceServer
from wattprint.serving.reference.tokenizer import write_tokenizer


def main(argv: list[str] | None = None) -> int:
    """Parse options, serve until stopped; returns the exit status."""
    p = argparse.ArgumentParser(prog="python -m wattprint.serving.reference",
                                description="A reference OpenAI-compatible engine whose "
                                "energy is known by construction.")
    p.add_argument("--dir", required=True, help="folder for the simulated counter and the truth")
    p.add_argument("--port", type=int, default=0, help="port (0: a free one)")
    p.add_argument("--config", help="a JSON object of ReferenceConfig fields")
    for f in fields(ReferenceConfig):
        if f.type in ("str", "float", "int"):
            p.add_argument("--" + f.name.replace("_", "-"), dest=f.name,
                           type={"str": str, "float": float, "int": int}[str(f.type)])
    args = p.parse_args(argv)
    try:
        d = json.loads(args.config) if args.config else {}
        if not isinstance(d, dict):
            raise ConfigError("--config: expected a JSON object")
        d.update({f.name: getattr(args, f.name) for f in fields(ReferenceConfig)
                  if getattr(args, f.name, None) is not None})
        cfg = ReferenceConfig.from_dict(d)
    except (ConfigError, json.JSONDecodeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    sys.setswitchinterval(0.0005)   # the counter thread waits at most this for the engine's loop
    server = ReferenceServer(cfg, args.dir, port=args.port).start()
    write_tokenizer(server.folder / "tokenizer")
    print(json.dumps({"url": server.url, "model": cfg.model,
                      "powercap_root": str(server.powercap_root),
                      "proc_root": str(server.proc_root),
                      "tokenizer": str(server.folder / "tokenizer")}), flush=True)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
