import pytest

from wattprint.errors import ConfigError
from wattprint.serving.arrivals import read_trace
from wattprint.serving.lengths import parse_length
from wattprint.serving.prompts import build_requests, read_jsonl


def test_azure_and_burstgpt_traces(tmp_path):
    az = tmp_path / "azure.csv"
    az.write_text("TIMESTAMP,ContextTokens,GeneratedTokens\n"
                  "2023-11-16 18:15:46.6805900,374,44\n2023-11-16 18:15:50.1805900,396,109\n")
    fmt, rows = read_trace(az, speedup=2.0)
    assert fmt == "azure" and rows[0].offset_s == 0 and rows[1].offset_s == pytest.approx(1.75)
    assert (rows[1].input_tokens, rows[1].output_tokens) == (396, 109)
    bg = tmp_path / "burst.csv"
    bg.write_text("Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n"
                  "5,ChatGPT,472,18,490,Conversation log\n8,GPT-4,1087,0,1087,API log\n"
                  "9,ChatGPT,100,20,120,Conversation log\n")
    fmt, rows = read_trace(bg)
    assert fmt == "burstgpt" and [r.offset_s for r in rows] == [0.0, 4.0]   # 0-output row dropped


def test_trace_errors_name_file_and_line(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(ConfigError, match="unknown columns"):
        read_trace(bad)
    bad.write_text("Timestamp,Request tokens,Response tokens\n1,2,3\nx,2,3\n")
    with pytest.raises(ConfigError, match=r"bad.csv:3"):
        read_trace(bad)


def test_lengths_and_prompts(tmp_path):
    assert parse_length("64").fixed and str(parse_length("8:16")) == "8:16"
    with pytest.raises(ConfigError, match="--output-len"):
        parse_length("0")
    with pytest.raises(ConfigError, match="LOW:HIGH"):
        parse_length("a:b")
    reqs = build_requests(5, input_len=parse_length("12"), output_len=parse_length("4:8"))
    assert all(len(r.prompt.split()) == 12 and 4 <= r.max_tokens <= 8 for r in reqs)
    f = tmp_path / "p.jsonl"
    f.write_text('{"prompt": "hi", "max_tokens": 3}\n\n{"text": "yo"}\n')
    reqs = build_requests(3, source=str(f), input_len=None, output_len=parse_length("9"))
    assert [(r.prompt, r.max_tokens) for r in reqs] == [("hi", 3), ("yo", 9), ("hi", 3)]
    f.write_text('{"prompt": "hi"}\n{"nope": 1}\n')
    with pytest.raises(ConfigError, match=r"p.jsonl:2: .*'prompt'"):
        read_jsonl(f)
