"""The labelled texts of the real-weights zoo: four categories of Debian's ``fortunes``.

Debian's ``fortunes`` package (the BSD ``fortune`` collection) keep one
file per category in ``/usr/share/games/fortunes``, quotes separated by lines holding ``%``.
Four categories make a 4-way topic classification task: science, politics, food and love
(1,676 texts in Debian 12's ``1:1.99.1-7.3``; politics, the majority class, is 42 %).

The texts are read from the installed package at build time and never shipped with
wattprint: the collection is BSD-licensed, but individual quotes are of mixed provenance.
``make install`` installs it (``apt-get install fortunes``).
"""

from __future__ import annotations

import os
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from wattprint.errors import BackendError
from wattprint.tasks.local_hub import file_sha256

CATEGORIES: tuple[str, ...] = ("science", "politics", "food", "love")
"""Class names in id order."""

DEFAULT_DIR = Path("/usr/share/games/fortunes")
DIR_ENV = "WATTPRINT_FORTUNES_DIR"
"""Environment variable naming another folder with the category files."""

TEST_SHARE = 0.25
"""Share of each category held out for evaluation (and for the study-mini suite)."""

INSTALL_HINT = ("install Debian's fortunes data: apt-get install fortunes "
                "(make install does it as root)")


@dataclass(frozen=True)
class LabelledText:
    """One quote and its category id (index into :data:`CATEGORIES`)."""

    text: str
    label: int


@dataclass(frozen=True)
class FortunesSplit:
    """The train and held-out test texts, and where they came from.

    Attributes:
        train: Training texts, shuffled.
        test: Held-out texts, shuffled (the study-mini suite reads the first ``n``).
        files: Category → (path, SHA-256) of the file read.
        seed: Seed of the split and the shuffles.
    """

    train: list[LabelledText]
    test: list[LabelledText]
    files: dict[str, tuple[str, str]] = field(default_factory=dict)
    seed: int = 0

    def describe(self) -> dict[str, object]:
        """What a build records about its data (sizes, class counts, files and hashes)."""
        def counts(rows: list[LabelledText]) -> dict[str, int]:
            c = Counter(r.label for r in rows)
            return {CATEGORIES[k]: c[k] for k in range(len(CATEGORIES))}

        majority = max(counts(self.test).values()) / len(self.test) if self.test else None
        return {"source": "Debian package fortunes (BSD fortune collection)",
                "categories": list(CATEGORIES), "seed": self.seed,
                "train": len(self.train), "test": len(self.test),
                "train_counts": counts(self.train), "test_counts": counts(self.test),
                "test_majority_share": majority,
                "files": {k: {"path": p, "sha256": s} for k, (p, s) in self.files.items()}}


def fortunes_dir() -> Path:
    """``$WATTPRINT_FORTUNES_DIR`` or ``/usr/share/games/fortunes``."""
    return Path(os.environ.get(DIR_ENV) or DEFAULT_DIR)


def read_category(path: Path) -> list[str]:
    """The quotes of one fortune file, whitespace squashed, empty ones dropped."""
    text = path.read_text(encoding="utf-8", errors="replace")
    quotes: list[str] = []
    current: list[str] = []
    for line in text.splitlines():
        if line.strip() == "%":
            quotes.append(" ".join(" ".join(current).split()))
            current = []
        else:
            current.append(line)
    quotes.append(" ".join(" ".join(current).split()))
    return [q for q in quotes if q]


def load_split(seed: int = 0, folder: Path | None = None) -> FortunesSplit:
    """Read the four categories and split each into train and test, reproducibly.

    Raises:
        BackendError: a category file is missing (says how to install it).
    """
    folder = folder or fortunes_dir()
    rng = random.Random(seed)
    train: list[LabelledText] = []
    test: list[LabelledText] = []
    files: dict[str, tuple[str, str]] = {}
    for label, name in enumerate(CATEGORIES):
        path = folder / name
        if not path.is_file():
            raise BackendError(f"{path} is missing: {INSTALL_HINT}, or set {DIR_ENV} to a "
                               f"folder with the files {', '.join(CATEGORIES)}")
        quotes = read_category(path)
        rng.shuffle(quotes)
        n_test = round(len(quotes) * TEST_SHARE)
        test += [LabelledText(q, label) for q in quotes[:n_test]]
        train += [LabelledText(q, label) for q in quotes[n_test:]]
        files[name] = (str(path), file_sha256(path))
    rng.shuffle(train)
    rng.shuffle(test)
    return FortunesSplit(train, test, files, seed)
