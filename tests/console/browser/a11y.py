"""An automated accessibility check of a page in the browser tests: axe-core
(the copy bundled in the ``axe-playwright-python`` package, so no network and
no npm) runs in the page; any violation of impact "critical" fails the test,
listed readably (rule, what it means, where).  Call it on every page a
browser test visits::

    from tests.console.browser.a11y import assert_no_critical
    assert_no_critical(page, "queue")
"""

from __future__ import annotations

import json

from axe_playwright_python.sync_playwright import Axe

_AXE = Axe()


def violations(page, impact: str = "critical") -> list[dict]:
    """axe-core's violations of ``impact`` on the page as it is now."""
    # axe.run finds axe where the injected script left it; evaluating the
    # source goes through the DevTools protocol, not the page's CSP.
    results = _AXE.run(page, options={"resultTypes": ["violations"]})
    return [v for v in results.response.get("violations", []) if v.get("impact") == impact]


def describe(found: list[dict]) -> str:
    lines = []
    for v in found:
        lines.append(f"- {v['id']}: {v['help']} ({v.get('helpUrl', '')})")
        for node in v.get("nodes", [])[:5]:
            lines.append(f"    at {json.dumps(node.get('target'))}: {node.get('failureSummary', '').strip()}"
                         .replace("\n", " "))
    return "\n".join(lines)


def assert_no_critical(page, name: str) -> None:
    """Fail when axe-core finds a critical accessibility violation on ``page``
    (``name`` says which page, in the failure message)."""
    found = violations(page)
    assert not found, f"critical accessibility violations on the {name} page:\n{describe(found)}"
