import pytest

from wattprint.errors import ConfigError, TaskError
from wattprint.tasks.base import TASK_IDS
from wattprint.tasks.inputs import load_examples
from wattprint.tasks.study_datasets import STUDY_DATASETS, STUDY_RECIPES, study_recipe


class _ClassLabel:
    def __init__(self, names):
        self.names = names


class _Seq:
    def __init__(self, feature):
        self.feature = feature


class _FakeStream:
    def __init__(self, rows, features=None):
        self.rows, self.features = rows, features or {}

    def __iter__(self):
        return iter(self.rows)


def _fake(rows, features=None, calls=None):
    def load(hf_id, config, split, streaming, **kw):
        if calls is not None:
            calls.append((hf_id, config, split, streaming, *kw.values()))
        return _FakeStream(rows, features)
    return load


def test_thirty_recipes_three_per_task():
    assert len(STUDY_RECIPES) == 30
    assert all(len(STUDY_DATASETS[t]) == 3 for t in TASK_IDS)
    r = study_recipe("summarization", "cnn_dailymail")
    assert (r.hf_id, r.config, r.split, dict(r.fields)) == (
        "cnn_dailymail", "3.0.0", "test", {"text": "article", "summary": "highlights"})
    assert study_recipe("question-answering", "sciq").fields["context"] == "support"
    assert study_recipe("text-generation", "wikitext").config == "wikitext-103-raw-v1"


def test_study_dataset_streamed_with_pinned_id_split_and_fields():
    calls = []
    rows = [{"sentence": "nice", "label": 1, "idx": 0}, {"sentence": "meh", "label": -1, "idx": 1}]
    exs = load_examples("text-classification", "sst2", n=2, load_fn=_fake(rows, calls=calls))
    assert calls == [("stanfordnlp/sst2", None, "test", True)]  # moved id first
    assert [e.inputs for e in exs] == ["nice", "meh"]
    assert [e.reference for e in exs] == ["positive", None]


def test_class_label_names_from_features_and_split_override():
    calls = []
    feats = {"ner_tags": _Seq(_ClassLabel(["O", "B-PER", "I-PER"]))}
    rows = [{"tokens": ["Ann", "Lee", "ran"], "ner_tags": [1, 2, 0]}]
    ex = load_examples("token-classification", "wikiann", n=1, split="validation",
                       load_fn=_fake(rows, feats, calls))[0]
    assert calls == [("unimelb-nlp/wikiann", "en", "validation", True)]
    assert ex.inputs == "Ann Lee ran" and ex.reference == ["B-PER", "I-PER", "O"]


def test_wikitext_drops_blank_lines():
    rows = [{"text": ""}, {"text": " = Title = \n"}, {"text": "  "}, {"text": "one two three"}]
    exs = load_examples("text-generation", "wikitext", n=2, load_fn=_fake(rows))
    assert [e.inputs for e in exs] == ["= Title =", "one two three"]


def test_cppe5_boxes_converted_from_xywh():
    from PIL import Image

    feats = {"objects": _Seq({"category": _ClassLabel(["Coverall", "Face_Shield"])})}
    rows = [{"image": Image.new("RGB", (64, 48)), "objects": {"bbox": [[1, 2, 3, 4]], "category": [1]}}]
    ex = load_examples("object-detection", "cppe-5", n=1, load_fn=_fake(rows, feats))[0]
    assert ex.reference == {"boxes": [[10.0, 20.0, 40.0, 60.0]], "labels": ["Face_Shield"]}


def test_offline_or_unreachable_hub_is_a_clear_task_error():
    calls = []

    def offline(hub_id, *args, **kwargs):
        calls.append(hub_id)
        raise ConnectionError("no network")
    with pytest.raises(TaskError, match="tried rajpurkar/squad: ConnectionError.*needs network access"
                                        ".*use --dataset builtin"):
        load_examples("question-answering", "squad", n=1, load_fn=offline)
    assert calls == ["rajpurkar/squad", "squad"]  # no Parquet retry: not a script problem


def test_script_datasets_fall_back_to_the_parquet_export():
    calls = []

    def scripted(hub_id, config, split, streaming, revision=None):
        calls.append((hub_id, revision))
        if revision is None:
            raise RuntimeError("Dataset scripts are no longer supported, but found conll2003.py")
        return _FakeStream([{"tokens": ["a"], "ner_tags": [0]}], {})
    ex = load_examples("token-classification", "conll2003", n=1, load_fn=scripted)[0]
    assert calls == [("eriktks/conll2003", None), ("eriktks/conll2003", "refs/convert/parquet")]
    assert ex.inputs == "a"


def test_missing_column_and_too_few_rows():
    with pytest.raises(ConfigError, match="no column 'article'"):
        load_examples("summarization", "cnn_dailymail", n=1, load_fn=_fake([{"text": "x"}]))
    with pytest.raises(ConfigError, match="only 1 usable records"):
        load_examples("text-to-image", "sd_prompts", n=2, load_fn=_fake([{"Prompt": "a cat"}]))


def test_dataset_that_does_not_fit_the_task():
    with pytest.raises(ConfigError) as err:
        load_examples("text-classification", "squad", n=1)
    msg = str(err.value)
    assert "does not fit task 'text-classification'" in msg and "question-answering" in msg
    assert "imdb" in msg and "rotten_tomatoes" in msg
    with pytest.raises(ConfigError, match="did you mean 'imdb'"):
        load_examples("text-classification", "imbd", n=1)


def test_any_hub_dataset_by_id_with_column_aliases():
    calls = []
    rows = [{"review": "ok film", "label": 1}]
    ex = load_examples("text-classification", "hf:someone/reviews", n=1, load_fn=_fake(rows, calls=calls))[0]
    assert calls == [("someone/reviews", None, "train", True)]
    assert ex.inputs == "ok film" and ex.reference == "1"
    rows = [{"body": "x"}]
    with pytest.raises(ConfigError, match="no column for 'text'.*columns found: body"):
        load_examples("text-classification", "hf:a/b", n=1, load_fn=_fake(rows))
    ex = load_examples("text-classification", "hf:a/b", n=1, split="test", columns={"text": "body"},
                       load_fn=_fake(rows))[0]
    assert ex.inputs == "x"


def test_hub_id_class_label_names_after_column_aliases():
    feats = {"label": _ClassLabel(["neg", "pos"])}
    rows = [{"text": "fine", "label": 1}]
    ex = load_examples("text-classification", "hf:x/y", n=1, load_fn=_fake(rows, feats))[0]
    assert ex.reference == "positive"  # pos/neg spelled out, to match models saying POSITIVE
