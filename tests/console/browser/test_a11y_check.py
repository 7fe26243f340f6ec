"""The accessibility check itself (``a11y.assert_no_critical``) fails on a
critical violation and names it, so a page that passes it really has none."""

from __future__ import annotations

import pytest

from .a11y import assert_no_critical

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_a_critical_violation_fails_with_the_rule_named(page):
    """A button with no name and an image without alt text are reported by rule."""
    page.set_content('<html lang="en"><title>t</title><main><button></button>'
                     '<img src="data:,"></main></html>')
    with pytest.raises(AssertionError) as failure:
        assert_no_critical(page, "broken")
    message = str(failure.value)
    assert "on the broken page" in message
    assert "button-name" in message and "image-alt" in message


def test_a_clean_page_passes(page):
    """A small page with named controls has no critical violation."""
    page.set_content('<html lang="en"><title>t</title><main><h1>Queue</h1>'
                     '<button>Acknowledge</button></main></html>')
    assert_no_critical(page, "clean")
