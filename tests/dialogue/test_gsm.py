"""GSM 03.38 helpers: alphabet membership, segment counting, punctuation."""

from __future__ import annotations

import pytest

from gateway.dialogue import gsm


@pytest.mark.parametrize(
    "text, expected",
    [
        pytest.param("ng'ombe da'da", True, id="straight apostrophe"),
        pytest.param("ng\u2019ombe", False, id="curly apostrophe"),
        pytest.param("Ç", True, id="capital C cedilla"),
        pytest.param("ç", False, id="small c cedilla"),
        pytest.param("{[~]}|^\\€", True, id="extension table"),
        pytest.param("hello \U0001F600", False, id="emoji"),
        pytest.param("a\u2014b", False, id="em dash"),
    ],
)
def test_is_gsm7(text, expected):
    """is_gsm7 accepts the default alphabet and extension table only."""
    assert gsm.is_gsm7(text) is expected


def test_non_gsm7_lists_positions():
    """non_gsm7 gives the index and character of each UCS-2-forcing character."""
    assert gsm.non_gsm7("It\u2019s \u201cok\u201d") == [(2, "\u2019"), (5, "\u201c"), (8, "\u201d")]


@pytest.mark.parametrize(
    "text, segments",
    [
        pytest.param("", 1, id="empty costs one"),
        pytest.param("a" * 160, 1, id="gsm 160"),
        pytest.param("a" * 161, 2, id="gsm 161"),
        pytest.param("a" * 306, 2, id="gsm 306"),
        pytest.param("a" * 307, 3, id="gsm 307"),
        pytest.param("{" * 80, 1, id="extension counts two"),
        pytest.param("{" * 81, 2, id="extension 162 septets"),
        pytest.param("a" * 152 + "{" + "a" * 152, 3, id="escape pair not split"),
        pytest.param("\u2019" * 70, 1, id="ucs2 70"),
        pytest.param("\u2019" * 71, 2, id="ucs2 71"),
        pytest.param("\u2019" * 134, 2, id="ucs2 134"),
        pytest.param("\u2019" * 135, 3, id="ucs2 135"),
        pytest.param("\U0001F600" * 35, 1, id="emoji is two units"),
        pytest.param("\U0001F600" * 36, 2, id="emoji 72 units"),
    ],
)
def test_sms_segments(text, segments):
    """sms_segments follows 160/153 septets (GSM-7) and 70/67 units (UCS-2)."""
    assert gsm.sms_segments(text) == segments


def test_screen_cost_doubles_for_ucs2():
    """A non-GSM character halves a USSD screen's budget."""
    assert gsm.screen_cost("abc") == 3
    assert gsm.screen_cost("ab\u2019") == 6


def test_normalise_punctuation():
    """Curly quotes, dashes, ellipsis and odd spaces become ASCII."""
    text = "\u201cNg\u2019ombe\u201d \u2013 wezi\u2026\u00a0sasa"
    assert gsm.normalise_punctuation(text) == "\"Ng'ombe\" - wezi... sasa"
    assert gsm.is_gsm7(gsm.normalise_punctuation(text))
