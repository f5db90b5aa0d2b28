import json

import pandas as pd
import pytest
from PIL import Image

from wattprint.errors import ConfigError
from wattprint.tasks import files
from wattprint.tasks.inputs import check_local_dataset, load_examples


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


@pytest.mark.parametrize("name, data, message", [
    ("latin1.csv", "text,label\nfine,1\ncaf\u00e9,0\n".encode("latin-1"),
     r"latin1\.csv:3: not UTF-8 text \(byte 0xe9 at column 4\)"),
    ("latin1.jsonl", '{"text": "fine"}\n{"text": "caf\u00e9"}\n'.encode("latin-1"),
     r"latin1\.jsonl:2: not UTF-8 text \(byte 0xe9 at column 14\)"),
    ("latin1.json", '[{"text": "ok"},\n {"text": "caf\u00e9"}]'.encode("latin-1"),
     r"latin1\.json:2: not UTF-8 text \(byte 0xe9 at column 15\)"),
    ("garbage.jsonl", bytes(range(255, -1, -1)) * 8, r"garbage\.jsonl:1: not UTF-8"),
    ("empty.csv", b"", r"empty\.csv: the file is empty; expected a \.csv file: a header line"),
    ("blank.jsonl", b"\n  \n", r"blank\.jsonl holds no records; expected a \.jsonl file"),
    ("header-only.csv", b"text,label\n", r"header-only\.csv holds no records"),
])
def test_unreadable_files_are_named_with_their_line(tmp_path, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(ConfigError, match=message):
        load_examples("text-classification", str(path), n=2)


def test_byte_order_mark_is_dropped(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufefftext,label\nbonjour,1\n".encode("utf-8"))
    assert load_examples("text-classification", str(path), n=1)[0].inputs == "bonjour"


def test_an_overlong_line_is_refused_without_reading_on(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "MAX_LINE_BYTES", 64)
    path = tmp_path / "one-line.jsonl"
    path.write_bytes(b"x" * 1000)
    with pytest.raises(ConfigError, match=r"one-line\.jsonl:1: line longer than"):
        load_examples("text-classification", str(path), n=1)


def test_a_folder_is_no_input_of_a_text_task(tmp_path):
    with pytest.raises(ConfigError, match="is a folder; text-classification reads a file"):
        load_examples("text-classification", str(tmp_path), n=1)


def test_check_reads_as_far_as_n_and_the_recipe_too(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text('{"text": "a"}\n{"text": "b"}\n{"text": broken\n')
    check_local_dataset("text-classification", str(path), n=2)  # line 3 is never read
    with pytest.raises(ConfigError, match=r"t\.jsonl:3: invalid JSON"):
        check_local_dataset("text-classification", str(path), n=3)
    path.write_text('{"text": "a"}\n{"text": 5}\n')
    with pytest.raises(ConfigError, match=r"t\.jsonl:2: .*'text' must be text"):
        check_local_dataset("text-classification", str(path), n=2)
    path.write_text('{"text": "a"}\n{"text": "b"}\n')
    with pytest.raises(ConfigError, match="has only 2 records; ask for n <= 2"):
        check_local_dataset("text-classification", str(path), n=9)


def test_check_leaves_builtin_study_and_hub_datasets_alone():
    for dataset in ("builtin", "builtin:imdb-like", "imdb", "hf:owner/name"):
        check_local_dataset("text-classification", dataset, n=10)


def test_parquet_is_read_in_batches_up_to_n(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "PARQUET_BATCH_ROWS", 2)
    pq = tmp_path / "p.parquet"
    pd.DataFrame({"text": [f"t{i}" for i in range(7)]}).to_parquet(pq)
    assert [e.inputs for e in load_examples("text-classification", str(pq), n=5)] == [
        "t0", "t1", "t2", "t3", "t4"]
