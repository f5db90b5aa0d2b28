import json

from wattprint.cli import main


def test_tasks_lists_all_ten(capsys):
    assert main(["tasks"]) == 0
    out = capsys.readouterr().out
    for task_id in ("text-classification", "fill-mask", "text-to-image"):
        assert task_id in out
    assert "max_new_tokens=10, min_new_tokens=10" in out
    assert "study dataset cnn_dailymail: cnn_dailymail [3.0.0] test" in out


def test_tasks_json_one_task(capsys):
    assert main(["tasks", "summarization", "--json"]) == 0
    (info,) = json.loads(capsys.readouterr().out)
    assert info["work_unit"] == "token"
    assert info["generation"] == {"max_new_tokens": 15, "min_new_tokens": 10}
    assert set(info["study_datasets"]) == {"cnn_dailymail", "samsum", "xsum"}
    assert len(info["study_models"]) == 8 and len(info["zero_shot_models"]) == 8
    assert "builtin" in info["builtin_inputs"]


def test_tasks_unknown_task_exit_code(capsys):
    assert main(["tasks", "summarisation"]) == 2
    assert "did you mean 'summarization'" in capsys.readouterr().err
