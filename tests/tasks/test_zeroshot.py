import pytest

from wattprint.errors import ConfigError
from wattprint.tasks.base import Example, Prediction
from wattprint.tasks.registry import get_task
from wattprint.tasks.zeroshot import generation_settings, make_prompt, parse_answer


def test_prompts_are_the_studys_exact_strings():
    assert make_prompt("text-classification", Example("I loved it")) == (
        "what is the binary sentiment of the following sentence? I loved it")
    qa = Example({"question": "Who wrote it", "context": "Ann wrote it."})
    assert make_prompt("question-answering", qa, family="causal") == (
        'Who wrote it? Find the answer to the question in the following text: "Ann wrote it.". Answer:')
    assert make_prompt("summarization", Example("Long text.")) == (
        "summarize the following text: Long text.")


def test_same_prompt_for_both_families_and_bad_inputs():
    ex = Example("x")
    assert make_prompt("summarization", ex, "t5") == make_prompt("summarization", ex, "causal")
    with pytest.raises(ConfigError, match="unknown model family"):
        make_prompt("summarization", ex, "rnn")
    with pytest.raises(ConfigError, match="unknown zero-shot task"):
        make_prompt("fill-mask", ex)
    with pytest.raises(ConfigError, match="question"):
        make_prompt("question-answering", ex)


def test_generation_settings_follow_the_study():
    assert generation_settings("summarization", "t5", "xsum") == {"max_length": 20}
    assert generation_settings("text-classification", "causal", "imdb") == {"max_new_tokens": 1}
    assert generation_settings("summarization", "causal", "cnn_dailymail") == {"max_new_tokens": 15}
    assert generation_settings("summarization", "causal", "samsum") == {"max_new_tokens": 15}
    assert generation_settings("summarization", "causal", "xsum") == {"max_new_tokens": 65}
    assert generation_settings("question-answering", "causal", "squad_v2") == {"max_new_tokens": 65}
    assert generation_settings("question-answering", "causal", "sciq") == {"max_length": 20}
    assert generation_settings("summarization", "causal", "builtin") == {"max_new_tokens": 15}


def test_parse_answers_back_to_prediction_form():
    prompt = "what is the binary sentiment of the following sentence? great"
    assert parse_answer("text-classification", prompt + " Positive") == "positive"
    assert parse_answer("text-classification", prompt + " positive", prompt=prompt) == "positive"
    assert parse_answer("text-classification", "It is negative, not positive") == "negative"
    assert parse_answer("text-classification", "unsure") == "unsure"
    assert parse_answer("question-answering", ' "Ann Lee".\nmore text') == "Ann Lee"
    assert parse_answer("summarization", "  A short summary. ") == "A short summary."


def test_zero_shot_outputs_score_with_the_task_metrics():
    task = get_task("text-classification")
    names = ("negative", "positive")
    exs = [task.prepare({"text": "good", "label": 1, "label_names": names}),
           task.prepare({"text": "bad", "label": 0, "label_names": names})]
    outs = [parse_answer("text-classification", t) for t in ("positive", "Positive!")]
    assert task.score([Prediction(o) for o in outs], exs)["accuracy"] == 0.5
    qa = get_task("question-answering")
    ex = qa.prepare({"question": "Who?", "context": "Ann did.", "answers": ["Ann"]})
    assert qa.score([Prediction(parse_answer("question-answering", "Ann."))], [ex])["exact_match"] == 1.0


def test_seq2seq_is_an_alias_of_t5():
    assert generation_settings("summarization", "seq2seq", "xsum") == {"max_length": 20}
    assert make_prompt("summarization", Example("x"), "seq2seq") == "summarize the following text: x"


def test_named_classes_get_a_topic_prompt_and_sentiment_keeps_the_studys():
    topics = Example("E = mc^2", meta={"label_names": ("science", "politics", "food", "love")})
    assert make_prompt("text-classification", topics, "causal") == (
        "Which topic is this text about: science, politics, food or love?\n\nText: E = mc^2\n\n"
        "Answer with one word.")
    sentiment = Example("I loved it", meta={"label_names": ("negative", "positive")})
    assert make_prompt("text-classification", sentiment).startswith("what is the binary sentiment")


def test_topic_answers_are_parsed_against_the_class_names():
    names = ("science", "politics", "food", "love")
    assert parse_answer("text-classification", "Food, mostly.", label_names=names) == "food"
    # the first class named wins; a word containing a name does not count
    assert parse_answer("text-classification", "love of science", label_names=names) == "love"
    assert parse_answer("text-classification", "scientific", label_names=names) == "scientific"
    # without names the study's sentiment parsing stays
    assert parse_answer("text-classification", "It is positive") == "positive"
