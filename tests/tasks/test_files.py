import json

import pandas as pd
import pytest
from PIL import Image

from wattprint.errors import ConfigError
from wattprint.tasks.inputs import load_examples


def test_jsonl_with_default_columns_and_aliases(tmp_path):
    path = tmp_path / "reviews.jsonl"
    path.write_text('{"sentence": "good", "label": 1}\n\n{"sentence": "bad", "label": 0}\n')
    exs = load_examples("text-classification", str(path), n=2)
    assert [e.inputs for e in exs] == ["good", "bad"]
    assert [e.reference for e in exs] == ["1", "0"]


def test_jsonl_bad_line_is_named(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "ok"}\n{"text": "oops",}\n')
    with pytest.raises(ConfigError, match=r"bad\.jsonl:2: invalid JSON"):
        load_examples("text-generation", str(path), n=2)
    path.write_text('{"text": "ok"}\n["not", "an", "object"]\n')
    with pytest.raises(ConfigError, match=r"bad\.jsonl:2: expected a JSON object"):
        load_examples("text-generation", str(path), n=2)


def test_missing_column_names_file_found_and_expected(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text(json.dumps({"q": "Where?", "context": "Here."}) + "\n")
    with pytest.raises(ConfigError) as err:
        load_examples("question-answering", str(path), n=1)
    msg = str(err.value)
    assert "q.jsonl" in msg and "'question'" in msg and "columns found: q, context" in msg
    exs = load_examples("question-answering", str(path), n=1, columns={"question": "q"})
    assert exs[0].inputs == {"question": "Where?", "context": "Here."}
    with pytest.raises(ConfigError, match="column 'nope'"):
        load_examples("question-answering", str(path), n=1, columns={"question": "nope"})


def test_bad_record_value_is_located(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text('{"text": "fine"}\n{"text": 5}\n')
    with pytest.raises(ConfigError, match=r"t\.jsonl:2: .*'text' must be text"):
        load_examples("text-classification", str(path), n=2)


def test_csv_json_cells_and_bad_row(tmp_path):
    path = tmp_path / "ner.csv"
    path.write_text('tokens,tags\n"[""John"", ""ran""]","[""B-PER"", ""O""]"\n')
    ex = load_examples("token-classification", str(path), n=1)[0]
    assert ex.inputs == "John ran" and ex.reference == ["B-PER", "O"]
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\nfine,1\ntoo,many,fields\n")
    with pytest.raises(ConfigError, match=r"bad\.csv:3: 3 fields but the header has 2"):
        load_examples("text-classification", str(bad), n=2)
    labels = load_examples("text-classification", str(bad), n=1)
    assert labels[0].reference == "1"


def test_parquet_and_json_list(tmp_path):
    pq = tmp_path / "p.parquet"
    pd.DataFrame({"prompt": ["a cat", "a dog"]}).to_parquet(pq)
    assert [e.inputs for e in load_examples("text-to-image", str(pq), n=2)] == ["a cat", "a dog"]
    js = tmp_path / "a.json"
    js.write_text(json.dumps([{"article": "long text", "highlights": "short"}]))
    ex = load_examples("summarization", str(js), n=1)[0]
    assert ex.inputs == "long text" and ex.reference == "short"
    corrupt = tmp_path / "c.parquet"
    corrupt.write_bytes(b"not parquet")
    with pytest.raises(ConfigError, match="cannot read Parquet"):
        load_examples("text-to-image", str(corrupt), n=1)


def test_too_few_records_and_missing_file(tmp_path):
    path = tmp_path / "one.jsonl"
    path.write_text('{"text": "a b c"}\n')
    with pytest.raises(ConfigError, match="has only 1 records; ask for n <= 1"):
        load_examples("text-generation", str(path), n=5)
    with pytest.raises(ConfigError, match="does not exist"):
        load_examples("text-generation", str(tmp_path / "nope.jsonl"), n=1)
    txt = tmp_path / "x.txt"
    txt.write_text("hello")
    with pytest.raises(ConfigError, match="unsupported file type '.txt'"):
        load_examples("text-generation", str(txt), n=1)


def test_image_paths_relative_to_the_file(tmp_path):
    Image.new("RGB", (4, 3), (9, 9, 9)).save(tmp_path / "x.png")
    path = tmp_path / "caps.jsonl"
    path.write_text('{"image": "x.png", "caption": "grey"}\n')
    ex = load_examples("image-to-text", str(path), n=1)[0]
    assert ex.inputs.size == (640, 480) and ex.reference == ["grey"]


def test_image_folder_classes_take_turns(tmp_path):
    for cls, count in (("cat", 3), ("dog", 1)):
        (tmp_path / cls).mkdir()
        for i in range(count):
            Image.new("RGB", (8, 8), (i, 0, 0)).save(tmp_path / cls / f"{i}.png")
    (tmp_path / "cat" / "notes.txt").write_text("ignored")
    exs = load_examples("image-classification", str(tmp_path), n=4)
    assert [e.reference for e in exs] == ["cat", "dog", "cat", "cat"]
    assert all(e.inputs.size == (640, 480) for e in exs)
    flat = tmp_path / "cat"
    assert load_examples("object-detection", str(flat), n=3)[0].reference is None
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ConfigError, match="no images found"):
        load_examples("image-classification", str(empty), n=1)
