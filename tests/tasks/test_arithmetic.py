import random

from wattprint.tasks.arithmetic import Arithmetic, make_problem, parse_number
from wattprint.tasks.base import Example, Prediction
from wattprint.tasks.inputs import load_examples


def test_problems_are_generated_with_their_answers():
    rng = random.Random(0)
    for _ in range(200):
        p = make_problem(rng)
        assert isinstance(p["answer"], int) and p["answer"] >= 0 and p["question"].endswith("?")
    examples = load_examples("arithmetic", "builtin", n=5)
    assert len({e.inputs for e in examples}) == 5 and all(isinstance(e.reference, int) for e in examples)
    assert [e.inputs for e in load_examples("arithmetic", "builtin:word-problems", n=5)] == \
        [e.inputs for e in examples]


def test_parse_number_takes_the_conclusion():
    assert parse_number("3 + 4 = 7, so the answer is 7.") == 7
    assert parse_number("It is 1,250") == 1250
    assert parse_number("no idea") is None


def test_score_counts_solved_items_and_calls():
    task = Arithmetic()
    ex = [Example("q1", reference=7), Example("q2", reference=3), Example("q3", reference=5)]
    preds = [Prediction({"answer": 7, "calls": 2}), Prediction({"answer": None, "calls": 3}),
             Prediction("the answer is 5")]
    s = task.score(preds, ex)
    assert s["exact_match"] == 2 / 3 and s["calls_per_item"] == 2.0 and s["n_scored"] == 3.0
    assert task.score([Prediction({"answer": 1, "calls": 2})], [Example("q")]) == {}
