"""What a full report costs a reporter (`mpaka scripts check` prints it)."""

from __future__ import annotations

import pytest

from gateway.dialogue.cost import path_costs

COMPLETE = ("eng", "swa", "som")  # languages with every text translated


@pytest.fixture(scope="module")
def costs(script):
    return {(c.language, c.channel, c.path): c for c in path_costs(script)}


@pytest.mark.parametrize("language", COMPLETE)
def test_an_sms_report_costs_at_most_8_messages_of_one_segment(costs, language):
    """The menu path: at most 8 messages from the reporter, every reply one segment."""
    cost = costs[(language, "sms", "menu")]
    assert cost.completed and cost.sent <= 8
    assert cost.largest == 1 and cost.segments == cost.replies


@pytest.mark.parametrize("language", COMPLETE)
def test_a_one_message_report_costs_fewer_messages(costs, language):
    """Keyword and words naming what, where and when: at most 3 messages (the words,
    the call-back question, the confirm), each reply one segment."""
    one = costs[(language, "sms", "one message")]
    assert one.completed and one.sent <= 3 and one.largest == 1


def test_every_walk_completes_a_report(costs):
    """No language's walk strands the reporter before the end."""
    assert all(c.completed for c in costs.values())
