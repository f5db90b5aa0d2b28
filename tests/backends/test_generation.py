import pytest

from wattprint.backends.generation import count_new_tokens, generate_kwargs
from wattprint.errors import ConfigError


def test_defaults_fix_the_output_length():
    assert generate_kwargs("text-generation", None) == {"do_sample": False, "max_new_tokens": 10, "min_new_tokens": 10}
    assert generate_kwargs("summarization", {"max_new_tokens": 4})["min_new_tokens"] == 4


def test_fixed_length_can_be_turned_off_and_study_lengths_pass_through():
    kw = generate_kwargs("summarization", {"max_length": 15, "min_length": 10})
    assert (kw["max_length"], kw["min_length"]) == (15, 10) and "max_new_tokens" not in kw
    kw = generate_kwargs("text-generation", {"max_new_tokens": 7, "fixed_length": False})
    assert kw["max_new_tokens"] == 7 and "min_new_tokens" not in kw


def test_zero_shot_defaults_differ():
    assert generate_kwargs("text-classification", None, zero_shot=True)["max_new_tokens"] == 1


def test_bad_lengths_are_rejected():
    with pytest.raises(ConfigError, match="max_new_tokens"):
        generate_kwargs("text-generation", {"max_new_tokens": -1})
    with pytest.raises(ConfigError, match="fixed_length"):
        generate_kwargs("text-generation", {"fixed_length": "yes"})


def test_count_stops_at_first_eos_inclusive():
    # row 1: 3 tokens then eos(9) then padding(9) -> 4; row 2: no eos -> 5; row 3: eos first -> 1
    assert count_new_tokens([[1, 2, 3, 9, 9], [1, 2, 3, 4, 5], [9, 0, 0, 0, 0]], {9}) == [4, 5, 1]
