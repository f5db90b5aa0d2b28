from wattprint.cli import main


def test_zoo_list_names_every_task_default(capsys):
    assert main(["zoo", "list"]) == 0
    out = capsys.readouterr().out
    assert "distilbert-sst2" in out and "segmind/tiny-sd" in out and "zero-shot" in out


def test_zoo_build_prints_the_folder(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("WATTPRINT_CACHE", str(tmp_path))
    assert main(["zoo", "build", "distilbert-mlm"]) == 0
    line = capsys.readouterr().out.strip()
    ref, folder = line.split("\t")
    assert ref == "zoo:distilbert-mlm@tiny" and folder.startswith(str(tmp_path))
    assert main(["zoo", "build", "nope"]) == 2
    assert "unknown zoo model 'nope'" in capsys.readouterr().err
