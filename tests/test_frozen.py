"""fast_init: a frozen dataclass built by filling its __dict__ at once is the same object the
dataclass's own __init__ builds."""

from __future__ import annotations

import dataclasses
import inspect
from dataclasses import FrozenInstanceError, InitVar, dataclass, field

import pytest

from wattprint.frozen import fast_init
from wattprint.meters.base import DomainEnergy, EnergyResult
from wattprint.results.schema import JobResult


def _energy_class(fast: bool) -> type:
    @dataclass(frozen=True)
    class Energy:
        name: str
        energy_j: float
        tags: tuple[str, ...] = ()
        extra: dict[str, int] = field(default_factory=dict)
        scope: str = "device"

        def __post_init__(self) -> None:
            if self.energy_j < 0:
                raise ValueError(f"energy_j is negative ({self.energy_j})")

    return fast_init(Energy) if fast else Energy


Plain, Fast = _energy_class(False), _energy_class(True)


@pytest.mark.parametrize(("args", "kwargs"), [
    (("a", 1.0), {}),
    (("a",), {"energy_j": 2.0, "scope": "machine"}),
    (("a", 1.0, ("x",), {"k": 1}, "node"), {}),
    ((), {"name": "b", "energy_j": 0.5, "extra": {"k": 2}}),
])
def test_same_fields_as_the_dataclass_init(args: tuple, kwargs: dict) -> None:
    fast, plain = Fast(*args, **kwargs), Plain(*args, **kwargs)
    assert dataclasses.asdict(fast) == dataclasses.asdict(plain)
    assert repr(fast) == repr(plain)
    assert fast == Fast(*args, **kwargs) and hash(fast.tags) == hash(plain.tags)


def test_immutable_validated_and_factories_are_fresh() -> None:
    a, b = Fast("a", 1.0), Fast("b", 1.0)
    assert a.extra == {} and a.extra is not b.extra  # a new dict per instance
    with pytest.raises(FrozenInstanceError):
        a.name = "c"  # type: ignore[misc]
    with pytest.raises(ValueError, match="negative"):
        Fast("a", -1.0)  # __post_init__ still runs
    with pytest.raises(TypeError):
        Fast("a")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Fast("a", 1.0, nope=1)  # type: ignore[call-arg]
    assert dataclasses.replace(a, scope="machine") == Fast("a", 1.0, scope="machine")


def test_signature_matches_the_fields() -> None:
    assert (list(inspect.signature(Fast).parameters)
            == list(inspect.signature(Plain).parameters))
    for cls in (JobResult, DomainEnergy, EnergyResult):
        params = inspect.signature(cls).parameters
        fields = dataclasses.fields(cls)
        assert list(params) == [f.name for f in fields], cls
        for f in fields:
            p = params[f.name]
            if f.default is not dataclasses.MISSING:
                assert p.default is f.default, (cls, f.name)
            elif f.default_factory is dataclasses.MISSING:
                assert p.default is inspect.Parameter.empty, (cls, f.name)


def test_unsupported_classes_are_refused() -> None:
    @dataclass
    class NotFrozen:
        x: int

    @dataclass(frozen=True, slots=True)
    class Slots:
        x: int

    @dataclass(frozen=True)
    class NoInit:
        x: int
        y: int = field(init=False, default=0)

    @dataclass(frozen=True)
    class KwOnly:
        x: int = field(kw_only=True)

    @dataclass(frozen=True)
    class WithInitVar:
        x: int
        scale: InitVar[int] = 1

        def __post_init__(self, scale: int) -> None:
            pass

    for cls in (NotFrozen, Slots):
        with pytest.raises(TypeError, match="not a frozen dataclass"):
            fast_init(cls)
    for cls, name in ((NoInit, "y"), (KwOnly, "x"), (WithInitVar, "scale")):
        with pytest.raises(TypeError, match=f"does not support: {name}"):
            fast_init(cls)
