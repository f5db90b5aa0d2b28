import pytest

from wattprint.backends.callable import CallableBackend, resolve_callable
from wattprint.errors import ConfigError
from wattprint.tasks.base import Example, Prediction


def test_callable_backend_wraps_plain_values():
    b = CallableBackend(lambda x: x.upper(), name="upper")
    info = b.load()
    assert info.model == "upper" and info.backend == "callable"
    p = b.infer(Example("abc"))
    assert p == Prediction(output="ABC")


def test_resolve_callable_by_string():
    fn = resolve_callable("os.path:join")
    assert fn("a", "b") == "a/b"
    with pytest.raises(ConfigError, match="has no attribute"):
        resolve_callable("os.path:nope")
    with pytest.raises(ConfigError, match="module:function"):
        resolve_callable("os.path.join")
