import pytest

from wattprint.errors import ConfigError
from wattprint.tasks.base import Prediction
from wattprint.tasks.registry import get_task


def test_text_classification_prepare_and_score():
    task = get_task("text-classification")
    names = ("negative", "positive")
    exs = [task.prepare({"text": "Great film.", "label": 1, "label_names": names}),
           task.prepare({"text": "Awful.", "label": 0, "label_names": names}),
           task.prepare({"text": "Hidden label.", "label": -1, "label_names": names})]
    assert exs[0].inputs == "Great film." and exs[0].reference == "positive"
    assert exs[2].reference is None
    preds = [Prediction("POSITIVE"), Prediction("LABEL_1"), Prediction("NEGATIVE")]
    assert task.score(preds, exs) == {"accuracy": 0.5, "n_scored": 2.0}
    assert task.score(preds[2:], exs[2:]) == {}
    with pytest.raises(ConfigError, match="'text'"):
        task.prepare({"sentence": "x"})


def test_token_classification_tokens_joined_and_scored():
    task = get_task("token-classification")
    ex = task.prepare({"tokens": ["John", "Smith", "visited", "Paris", "."],
                       "tags": [1, 2, 0, 5, 0],
                       "label_names": ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]})
    assert ex.inputs == "John Smith visited Paris ."
    assert ex.reference == ["B-PER", "I-PER", "O", "B-LOC", "O"]
    grouped = [{"entity_group": "PER", "start": 0, "end": 10, "score": 0.9}]
    s = task.score([Prediction(grouped)], [ex])
    assert s["precision"] == 1.0 and s["recall"] == 0.5
    assert task.score([Prediction(["B-PER", "I-PER", "O", "B-LOC", "O"])], [ex])["f1"] == 1.0


def test_token_classification_passage_has_no_score():
    task = get_task("token-classification")
    ex = task.prepare({"text": "A passage about Paris."})
    assert ex.inputs == "A passage about Paris." and ex.reference is None
    assert task.score([Prediction([])], [ex]) == {}
    with pytest.raises(ConfigError, match="tags for"):
        task.prepare({"tokens": ["a", "b"], "tags": ["O"]})


def test_question_answering_inputs_and_squad_scores():
    task = get_task("question-answering")
    ex = task.prepare({"question": "Where?", "context": "In Paris.",
                       "answers": {"text": ["Paris"], "answer_start": [3]}})
    assert ex.inputs == {"question": "Where?", "context": "In Paris."}
    assert ex.reference == ["Paris"]
    assert task.score([Prediction({"answer": "Paris", "score": 0.7})], [ex])["exact_match"] == 1.0
    unanswerable = task.prepare({"question": "q", "context": "c", "answers": {"text": [], "answer_start": []}})
    assert unanswerable.reference == []
    assert task.prepare({"question": "q", "context": "c", "answers": "one"}).reference == ["one"]


def test_token_classification_reads_word_tag_pairs_and_bare_types():
    task = get_task("token-classification")
    ex = task.prepare({"tokens": ["Ann", "Lee", "in", "Oslo"], "tags": ["B-PER", "I-PER", "O", "B-LOC"]})
    pairs = [("Ann", "PER"), ("Lee", "PER"), ("in", "O"), ("Oslo", None)]  # None: truncated, untagged
    s = task.score([Prediction(pairs)], [ex])
    assert s["precision"] == 1.0 and s["recall"] == 0.5
    with pytest.raises(ConfigError, match="cannot read tags"):
        task.score([Prediction(["B-PER"])], [ex])
