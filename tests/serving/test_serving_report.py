from test_serving_store import _point

from wattprint.analysis.report import build_report
from wattprint.analysis.serving_report import pareto, serving_section
from wattprint.cli import main
from wattprint.results.serving_store import write_points
from wattprint.results.store import ResultStore


def test_pareto_keeps_only_undominated_valid_points():
    a = _point("a", p95_ttft_s=0.1, j_per_output_token=0.5, flags=())
    b = _point("b", p95_ttft_s=0.2, j_per_output_token=0.3, flags=())
    c = _point("c", p95_ttft_s=0.3, j_per_output_token=0.4, flags=())   # dominated by b
    # a point of cut-off streams looks best on both axes, and is flagged: never on the front
    d = _point("d", p95_ttft_s=0.05, j_per_output_token=0.1, flags=("truncated_requests",))
    assert [p.point_id for p in pareto([c, b, a, d])] == ["a", "b"]


def test_report_has_the_serving_section_with_figures_and_picker(tmp_path):
    pts = [_point("a", offered_rps=1.0), _point("b", offered_rps=2.0, j_per_output_token=0.1,
                                                 flags=())]
    out = build_report([], tmp_path, serving_points=pts)
    text = out.path.read_text()
    assert 'id="sec-serving"' in text and text.count("<svg") >= 3
    assert "serving-slo" in text and "J/output token (estimated)" in text
    assert serving_section([]) == ""


def test_cli_report_of_a_store_with_only_serving_points_says_what_it_shows(tmp_path, capsys):
    db = tmp_path / "serving.db"
    with ResultStore(db) as s:
        assert write_points(s, [_point("a"), _point("b", offered_rps=2.0)]) == 2
    out = tmp_path / "site"
    assert main(["report", "--store", str(db), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert f"no job results in {db}; the report shows its 2 serving point(s)" in err
    assert "empty report" not in err
    assert 'id="sec-serving"' in (out / "index.html").read_text()
