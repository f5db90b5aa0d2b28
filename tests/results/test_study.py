"""Loading the study's logs: file names, layout (the tables are in tests/analysis)."""

from __future__ import annotations

from pathlib import Path

import pytest

from wattprint.errors import ConfigError
from wattprint.results.study import load_study, parse_complete_name


def test_complete_file_names() -> None:
    assert parse_complete_name("image_class_cifar10_resized.csv") == (
        "image-classification", "task-specific", "cifar10", "resized")
    assert parse_complete_name("zeroshot_qa_squad2_bloomz.csv") == (
        "question-answering", "zero-shot", "squad_v2", "bloomz")
    with pytest.raises(ConfigError, match="not a study run file"):
        parse_complete_name("model_parameters.csv")
    with pytest.raises(ConfigError, match="unknown dataset 'mnist'"):
        parse_complete_name("image_class_mnist.csv")


def test_not_the_study_layout(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="layout"):
        load_study(tmp_path)
