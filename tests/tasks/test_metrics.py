import pytest

from wattprint.tasks import metrics as M

SENT = ("negative", "positive")


def test_normalize_tags():
    assert M.normalize_tags(["PER", "PER", "O", None, "B-LOC", "LOC"]) == ["B-PER", "I-PER", "O", "O", "B-LOC", "I-LOC"]


def test_normalize_label_forms():
    assert M.normalize_label(1, SENT) == "positive"
    assert M.normalize_label("LABEL_0", SENT) == "negative"
    assert M.normalize_label("LABEL_1") == "1" and M.normalize_label(1) == "1"
    assert M.normalize_label({"label": "POSITIVE", "score": 0.9}, SENT) == "positive"
    assert M.normalize_label([{"label": "NEG"}, {"label": "POS"}], SENT) == "negative"
    assert M.normalize_label("4 stars", SENT) == "positive"
    assert M.normalize_label("1 star", SENT) == "negative"
    assert M.normalize_label("3 stars", SENT) == "neutral"
    assert M.normalize_label("3 stars") == "3 stars"  # no star mapping outside binary sentiment
    assert M.normalize_label(None) is None


def test_accuracy_hand_computed():
    preds = ["POSITIVE", {"label": "LABEL_0", "score": 0.9}, "5 stars", "neutral"]
    refs = ["positive", "negative", "negative", "negative"]
    assert M.accuracy(preds, refs, SENT) == {"accuracy": 0.5, "n_scored": 4.0}
    assert M.accuracy(["x"], [None]) == {}
    assert M.accuracy(["positive", "negative"], [None, "negative"], SENT)["accuracy"] == 1.0


def test_entities_to_tags_grouped_and_subwords():
    tokens = ["John", "Smith", "visited", "Paris", "."]
    grouped = [{"entity_group": "PER", "start": 0, "end": 10},
               {"entity_group": "LOC", "start": 19, "end": 24}]
    assert M.entities_to_tags(grouped, tokens) == ["B-PER", "I-PER", "O", "B-LOC", "O"]
    subwords = [{"entity": "B-PER", "start": 0, "end": 2}, {"entity": "I-PER", "start": 2, "end": 4},
                {"entity": "I-PER", "start": 5, "end": 10}]
    assert M.entities_to_tags(subwords, tokens) == ["B-PER", "I-PER", "O", "O", "O"]
    adjacent = [{"entity_group": "LOC", "start": 0, "end": 4}, {"entity_group": "LOC", "start": 5, "end": 10}]
    assert M.entities_to_tags(adjacent, tokens)[:2] == ["B-LOC", "B-LOC"]


def test_seqeval_hand_computed():
    ref = [["B-PER", "I-PER", "O", "B-LOC"]]
    pred = [["B-PER", "I-PER", "O", "O"]]
    s = M.seqeval_scores(pred, ref)
    assert s["precision"] == 1.0 and s["recall"] == 0.5
    assert s["f1"] == pytest.approx(2 / 3)
    assert M.seqeval_scores(pred, [None]) == {}
    with pytest.raises(ValueError):
        M.seqeval_scores([["O"]], [["O", "O"]])


def test_squad_hand_computed():
    s = M.squad_scores(["the Eiffel Tower", {"answer": "in Paris France"}],
                       [["Eiffel Tower"], ["Paris"]])
    assert s["exact_match"] == 0.5
    assert s["f1"] == pytest.approx((1.0 + 0.5) / 2)  # 1 of 3 predicted tokens: P=1/3, R=1
    assert M.squad_scores([""], [[]]) == {"exact_match": 1.0, "f1": 1.0, "n_scored": 1.0}
    assert M.squad_scores(["Paris"], [[]])["f1"] == 0.0
    assert M.squad_scores(["x"], [None]) == {}
    assert M.normalize_answer("The  Cat, sat!") == "cat sat"


def test_rouge_hand_computed():
    s = M.rouge_scores(["the cat sat"], ["the cat sat on the mat"])
    assert s["rouge1"] == pytest.approx(2 / 3)   # P=3/3, R=3/6
    assert s["rouge2"] == pytest.approx(4 / 7)   # P=2/2, R=2/5
    assert s["rougeL"] == pytest.approx(2 / 3)   # LCS 3
    best = M.rouge_scores([{"summary_text": "the cat sat"}], [["a dog", "the cat sat"]])
    assert best["rouge1"] == 1.0
    assert M.rouge_scores(["x"], [None]) == {}


def test_mask_accuracy():
    preds = ["Sat", [{"token_str": "ran", "score": 0.5}, {"token_str": "sat"}], {"token_str": " Ġsat"}]
    assert M.mask_accuracy(preds, ["sat.", "sat", "sat"]) == {"top1_accuracy": 2 / 3, "n_scored": 3.0}
    assert M.mask_accuracy(["a"], [None]) == {}


def test_detection_hand_computed():
    ref = {"boxes": [[0, 0, 10, 10], [20, 20, 30, 30]], "labels": ["circle", "square"]}
    dets = [{"label": "circle", "score": 0.9, "box": {"xmin": 0, "ymin": 0, "xmax": 10, "ymax": 10}},
            {"label": "square", "score": 0.8, "box": {"xmin": 25, "ymin": 20, "xmax": 35, "ymax": 30}},
            {"label": "triangle", "score": 0.5, "box": {"xmin": 0, "ymin": 0, "xmax": 10, "ymax": 10}}]
    s = M.detection_scores([dets], [ref])
    assert s["precision_iou50"] == pytest.approx(1 / 3)
    assert s["recall_iou50"] == 0.5
    assert s["f1_iou50"] == pytest.approx(0.4)
    assert M.iou((20, 20, 30, 30), (25, 20, 35, 30)) == pytest.approx(50 / 150)
    assert M.detection_scores([dets], [None]) == {}
