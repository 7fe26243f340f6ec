"""Scale out: two web instances (two hosts behind a round-robin balancer)
share Redis and PostgreSQL; a dialogue's screens land on alternate instances."""

from __future__ import annotations

import pytest

from bench.load import REFERENCE
from tests.helpers import DEADLINE

from .conftest import INPUTS, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.faults]


def test_a_dialogue_whose_screens_alternate_between_two_instances_completes(make_system):
    """Every screen goes to the other instance than the one before; every
    dialogue ends with its reference, one report each, each alert delivered."""
    system = make_system()
    system.start_app(workers=1)
    instances = [system.url, system.start_instance(workers=1)]
    system.start_worker()

    references = []
    for n in range(6):
        session, phone = f"ATUid_scale_{n}", f"+25473949{n:04d}"
        texts = ["", *("*".join(INPUTS[:i]) for i in range(1, len(INPUTS) + 1))]
        screens = [system.post(session, text, phone, base=instances[(n + i) % 2])
                   for i, text in enumerate(texts)]
        assert all(s.status_code == 200 for s in screens)
        assert all(s.text.startswith("CON ") for s in screens[:-1]), [s.text for s in screens]
        match = REFERENCE.search(screens[-1].text)
        assert screens[-1].text.startswith("END ") and match, screens[-1].text
        references.append(match.group(0))

    assert len(set(references)) == 6
    for reference in references:
        wait_until(lambda r=reference: system.report_count(r) == 1, DEADLINE,
                   what=f"report {reference} in the database")
    wait_until(lambda: {ref for ref, _ in system.deliveries()} >= set(references), DEADLINE * 2,
               what="every report's alert")
