"""J per output token of a served point, part by part (idle, queued, prefill, decode,
unattributed), from its phase decomposition; v1 points give what they have."""

from __future__ import annotations

import dataclasses

import pytest
from test_serving_impacts import _point

from wattprint.results.serving_costs import V1_PARTS, V2_PARTS, no_stack_reason, token_stack
from wattprint.results.serving_energy import PhaseEnergy

# 200 J over the whole window: idle 150, queued 2, prefill 10, decode 36, unattributed 2
PHASES = PhaseEnergy(200.0, 150.0, 2.0, 10.0, 36.0, 2.0)


def test_parts_are_each_part_of_the_window_over_the_ok_output_tokens():
    s = token_stack(_point(phase_energy=PHASES, output_tokens=400,
                           attribution_model="phase-occupancy-v2"))
    assert s is not None and not s.v1 and [p.name for p in s.parts] == list(V2_PARTS)
    per = {p.name: p.j_per_output_token for p in s.parts}
    assert per == pytest.approx({"idle": 150 / 400, "queued": 2 / 400, "prefill": 10 / 400,
                                 "decode": 36 / 400, "unattributed": 2 / 400})
    assert s.part("idle").share == pytest.approx(0.75)
    assert s.j_per_output_token == pytest.approx(200 / 400) and s.window_j == 200.0


def test_a_v1_point_stacks_what_it_stored():
    p = _point(attribution={"window_j": 60.0, "idle_j": 42.0, "attributed_j": 15.0,
                            "unattributed_j": 3.0}, output_tokens=500)
    s = token_stack(p)
    assert s is not None and s.v1 and [x.name for x in s.parts] == list(V1_PARTS)
    assert [x.j_per_output_token for x in s.parts] == pytest.approx([0.084, 0.03, 0.006])
    assert s.part("idle").share == pytest.approx(0.7)


def test_no_stack_says_why():
    p = _point()   # neither a phase decomposition nor v1 totals
    assert token_stack(p) is None
    assert no_stack_reason(p) == "no phase decomposition stored with this point"
    none_ok = dataclasses.replace(p, phase_energy=PHASES, output_tokens=0)
    assert no_stack_reason(none_ok) == "no output token from a request that ended ok"
    empty = dataclasses.replace(p, phase_energy=PhaseEnergy(0, 0, 0, 0, 0, 0))
    assert no_stack_reason(empty) == "no energy measured in the window"
