"""The script loader and linter given arbitrary YAML: a clear error, never a
hang or a crash."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.defaults import default_script_text
from gateway.dialogue import ScriptError, lint_script, load_script

#: Errors about the script as a whole, which have no line or step to point at.
NO_PLACE = {"shape", "no_way_out"}

yaml_ish = st.one_of(
    st.text(max_size=500),
    st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20)),
        lambda children: st.one_of(st.lists(children, max_size=4),
                                   st.dictionaries(st.text(max_size=10), children, max_size=4)),
        max_leaves=30,
    ).map(lambda value: __import__("yaml").safe_dump(value)),
)


@settings(max_examples=150, deadline=None)
@given(text=yaml_ish)
def test_lint_never_raises(text):
    """lint_script answers a report for any text, and it agrees with load_script: a
    script with lint errors is refused with a ScriptError that says why, one
    without is loaded."""
    report = lint_script(text)
    assert all(issue.message and issue.code for issue in report.errors + report.warnings)
    try:
        load_script(text)
    except ScriptError as exc:
        assert str(exc)
        assert not report.ok and report.errors
    else:
        assert report.ok and not report.errors


@settings(max_examples=60, deadline=None)
@given(cut=st.integers(min_value=0, max_value=len(default_script_text())))
def test_truncated_shipped_script_gives_clear_error(cut):
    """The shipped script cut anywhere lints without crashing; when the cut breaks
    it, each error names its code and a message, and points at a line or a step."""
    report = lint_script(default_script_text()[:cut])
    for issue in report.errors:
        assert issue.code and issue.message
        assert issue.line is not None or issue.step is not None or issue.code in NO_PLACE


@pytest.mark.parametrize("text", [
    pytest.param("a: &a [" + ",".join(["*a"] * 1) + "]", id="recursive alias"),
    pytest.param("\n".join(f"l{i}: &l{i} [" + ",".join([f"*l{i-1}"] * 9) + "]" for i in range(1, 12)).replace("*l0", "x"), id="billion laughs"),
    pytest.param("[" * 5000 + "]" * 5000, id="deep nesting"),
])
def test_yaml_bombs_are_refused(text):
    """Alias bombs and deep nesting give a ScriptError quickly."""
    with pytest.raises(ScriptError):
        load_script(text)
