"""Counting prompt tokens when the server sends no usage: the served model's own tokenizer,
from a model folder or from inside a GGUF file (llama.cpp's servers serve GGUF files and send
no usage in their streams; without this, prompts were counted as words, labelled)."""

import pytest

from wattprint.errors import ConfigError
from wattprint.serving.prompt_tokens import tokenizer_counter


@pytest.fixture(scope="module")
def smollm2_gguf():
    from wattprint.backends.weights.sources import SMOLLM2

    try:
        return SMOLLM2.source.locate()
    except Exception as err:  # the weights package is installed by make install
        pytest.skip(f"SmolLM2 GGUF not installed ({err})")


@pytest.fixture(scope="module")
def smollm2_count(smollm2_gguf):
    return tokenizer_counter(str(smollm2_gguf))             # --tokenizer FILE.gguf


def test_a_gguf_file_counts_with_the_tokenizer_inside_it(smollm2_gguf, smollm2_count):
    text = "The quick brown fox jumps over the lazy dog, twice: 2 × 2 = 4."
    found = tokenizer_counter(None, model=str(smollm2_gguf))  # --model FILE.gguf, as served
    assert smollm2_count is not None and found is not None
    want = len(smollm2_count.tokenizer(text, add_special_tokens=False)["input_ids"])
    assert smollm2_count(text) == found(text) == want
    assert want != len(text.split())   # not the word count it replaces


def test_a_broken_gguf_is_an_error_when_given_and_no_tokenizer_when_found(tmp_path):
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF but not really")
    with pytest.raises(ConfigError, match=r"--tokenizer .*broken\.gguf: cannot load a tokenizer"):
        tokenizer_counter(str(bad))
    assert tokenizer_counter(None, model=str(bad)) is None   # then words, labelled as such
    assert tokenizer_counter(None, model=str(tmp_path / "missing.gguf")) is None


def test_a_chat_prompt_counts_as_the_engine_renders_it(smollm2_count):
    from wattprint.serving.prompt_tokens import ChatPrompt, count_prompt

    count = smollm2_count
    asked = ChatPrompt((("user", "Name three colours."),))
    # llama.cpp's server (llama-cpp-python 0.3.36, this GGUF) answered this message with
    # usage.prompt_tokens 34: SmolLM2's chat template adds a system message and role markers
    assert count_prompt(count, asked) == 34
    assert count("Name three colours.") == 4           # the text alone, as counted before
    assert count_prompt(count, "Name three colours.") == 4   # a completions prompt: the text


def test_a_tokenizer_without_a_chat_template_counts_the_messages_texts(tmp_path):
    from wattprint.serving.prompt_tokens import ChatPrompt, count_prompt
    from wattprint.serving.reference.tokenizer import write_tokenizer

    count = tokenizer_counter(str(write_tokenizer(tmp_path / "tok")))   # one token per word
    asked = ChatPrompt((("system", "be brief"), ("user", "name three colours")))
    assert count.chat(asked.messages) is None
    assert count_prompt(count, asked) == 5


def test_the_proxy_reads_a_chat_requests_messages_with_their_roles():
    from wattprint.serving.prompt_tokens import ChatPrompt
    from wattprint.serving.proxy.bodies import read_request

    body = (b'{"model": "m", "messages": [{"role": "system", "content": "be brief"}, '
            b'{"role": "user", "content": [{"type": "text", "text": "hi"}]}, {"content": "x"}]}')
    info = read_request(body, "chat")
    assert info.prompt == ChatPrompt((("system", "be brief"), ("user", "hi"), ("user", "x")))
    assert read_request(b'{"prompt": "once upon"}', "completions").prompt == "once upon"
