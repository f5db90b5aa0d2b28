"""The SSE decoder: what it reads from each ``data:`` line, however the bytes are cut, and the
same chunk or error from the fast reading (orjson on the bytes) as from the standard one
(:func:`parse_data` on the text), including where orjson and the standard library differ."""

import json

import pytest

from wattprint.serving.sse import Chunk, SSEDecoder, StreamFormatError, parse_data, parse_data_bytes

USAGE = {"prompt_tokens": 7, "completion_tokens": 2, "total_tokens": 9}
STREAM = (b": keep-alive\r\n\r\n"
          b'data: {"choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}\r\n\r\n'
          b"event: message\nid: 4\n"
          b'data:{"choices":[{"index":0,"text":"lo","finish_reason":"length"}],"usage":'
          + json.dumps(USAGE).encode() + b"}\n\n"
          b'data: {"choices":[],"usage":' + json.dumps(USAGE).encode()
          + b',"timings":{"prompt_n":7}}\n\n'
          b"data: [DONE]\n\n")
EXPECTED = [Chunk(text="Hel"), Chunk(text="lo", finish_reason="length", usage=USAGE),
            Chunk(usage=USAGE, timings={"prompt_n": 7}), Chunk(done=True)]


@pytest.mark.parametrize("cut", [1, 2, 3, 7, 16, 64, len(STREAM)])
def test_the_same_chunks_however_the_bytes_are_cut(cut):
    dec = SSEDecoder()
    got = []
    for i in range(0, len(STREAM), cut):
        got += dec.feed(STREAM[i:i + cut])
    assert got + dec.close() == EXPECTED


def test_a_last_line_without_newline_is_read_at_close():
    dec = SSEDecoder()
    assert dec.feed(b'data: {"choices":[],"usage":{"completion_tokens":3}}') == []
    assert dec.close() == [Chunk(usage={"completion_tokens": 3})]
    assert dec.close() == []


@pytest.mark.parametrize("payload", [
    b' {"choices":[{"delta":{"content":"x"}}]} ',
    b"[DONE]", b" [DONE]\r", b"[DONE]\x1c",          # \x1c: whitespace to str.strip only
    b'{"error":{"message":"overloaded"}}', b'{"error":"plain"}',
    b'{"choices":[{"delta":{"content":"x"}}],"usage":{"completion_tokens":NaN}}',
    b'{"choices":[{"delta":{"content":"\\ud800"}}]}',  # a lone surrogate: orjson refuses
    b'{"choices":[],"usage":{"completion_tokens":123456789012345678901234567890}}',
    b'{"choices":[],"usage":{"completion_tokens":18446744073709551615}}',
    b'{"choices":[{"delta":{"content":"caf\xc3\xa9 \xff"}}]}',   # not UTF-8
    b'{"choices":[{"delta":{"content":"a"}}],"choices":[{"delta":{"content":"b"}}]}',
])
def test_fast_reading_gives_what_the_standard_reading_gives(payload):
    assert parse_data_bytes(payload) == parse_data(payload.decode("utf-8", errors="replace"))


def test_a_huge_count_stays_an_int():
    """orjson would read 30 digits as a float, and the count would then be ignored."""
    c = parse_data_bytes(b'{"choices":[],"usage":{"completion_tokens":'
                         b'123456789012345678901234567890}}')
    assert c.usage == {"completion_tokens": 123456789012345678901234567890}


@pytest.mark.parametrize(("payload", "says"), [
    (b"not json", "stream line is not JSON: 'not json'"),
    (b"", "stream line is not JSON"),
    (b"[1, 2]", "stream event is not a JSON object"),
    (b'{"id": "x"}', "stream event has neither 'choices' nor 'usage'"),
])
def test_what_is_not_a_completion_chunk_is_refused_the_same_way(payload, says):
    with pytest.raises(StreamFormatError, match=says.replace("[", r"\[")) as fast:
        parse_data_bytes(payload)
    with pytest.raises(StreamFormatError) as slow:
        parse_data(payload.decode())
    assert str(fast.value) == str(slow.value)
