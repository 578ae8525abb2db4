import pytest

from workbench.errors import BadInput
from workbench.params import Param, parse_assignments, resolve

K = Param("k", int, 5, "neighbours", low=1)
RATE = Param("learning_rate", float, 0.1, "step size", low=1e-9, high=10.0)
METRIC = Param("metric", str, "l2", "distance", choices=("l1", "l2"))
FLAG = Param("save", bool, False, "keep it")
KS = Param("k_choices", int, (1, 3), "candidates", low=1, many=True)


@pytest.mark.parametrize("param, text, expected", [
    (K, "7", 7), (K, " 12 ", 12), (RATE, "1e-3", 0.001), (RATE, "2", 2.0),
    (METRIC, "l1", "l1"), (FLAG, "true", True), (FLAG, "No", False), (FLAG, "1", True),
    (KS, "1,5,10", (1, 5, 10)),
])
def test_text_is_parsed_to_the_declared_type(param, text, expected):
    value = param.coerce(text)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize("param, raw, message", [
    (K, "abc", "k: expected an integer, got 'abc'"),
    (K, "2.5", "k: expected an integer, got '2.5'"),
    (K, "0", "k must be >= 1; got 0"),
    (K, True, "k: expected an integer, got True"),
    (RATE, "nan", "learning_rate: expected a finite number, got 'nan'"),
    (RATE, "inf", "learning_rate: expected a finite number, got 'inf'"),
    (RATE, float("inf"), "learning_rate: expected a finite number, got inf"),
    (RATE, "11", "learning_rate must be 1e-09..10; got 11"),
    (METRIC, "l3", "metric must be one of l1, l2; got 'l3'"),
    (FLAG, "maybe", "save: expected true or false, got 'maybe'"),
    (KS, "1,,3", "k_choices: expected a comma-separated list, got '1,,3'"),
    (KS, "1,0", "k_choices must be >= 1; got 0"),
])
def test_bad_values_are_refused_with_the_reason(param, raw, message):
    with pytest.raises(BadInput) as err:
        param.coerce(raw)
    assert str(err.value) == message


def test_python_values_from_the_api_are_accepted():
    assert K.coerce(3) == 3
    assert K.coerce(3.0) == 3
    assert RATE.coerce(1) == 1.0
    assert KS.coerce([2, 4]) == (2, 4)


def test_format_is_the_inverse_of_coerce():
    for param, value in [(K, 5), (RATE, 0.001), (FLAG, True), (KS, (1, 3)), (METRIC, "l1")]:
        assert param.coerce(param.format(value)) == value


def test_resolve_overlays_defaults_and_refuses_unknown_names():
    values = resolve([K, METRIC], {"k": "9"}, owner="lesson 'knn'")
    assert values == {"k": 9, "metric": "l2"}
    with pytest.raises(BadInput, match="unknown parameter 'kk' for lesson 'knn'; known: k, metric"):
        resolve([K, METRIC], {"kk": "1"}, owner="lesson 'knn'")


def test_an_invalid_default_fails_at_declaration():
    with pytest.raises(BadInput):
        Param("k", int, 0, "neighbours", low=1)


@pytest.mark.parametrize("pair", ["k", "=5", ""])
def test_assignments_need_name_equals_value(pair):
    with pytest.raises(BadInput, match="--set expects NAME=VALUE"):
        parse_assignments([pair])


def test_assignment_value_may_contain_equals():
    assert parse_assignments(["prime=a=b"]) == {"prime": "a=b"}


def test_exclusive_lower_bound():
    rate = Param("learning_rate", float, 0.1, "step", above=0.0)
    assert rate.allowed() == "> 0"
    assert rate.coerce("1e-9") == 1e-9
    for bad in ("0", "-1"):
        with pytest.raises(BadInput, match=r"learning_rate must be > 0; got"):
            rate.coerce(bad)
