"""An automated accessibility check of a page in the browser tests: axe-core
(the ``axe.min.js`` bundled by the ``axe-playwright-python`` package, so no
network) runs in the page and the test fails on any violation of impact
"critical", naming the rule, its help text and the elements."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe

_AXE = Axe()


def assert_no_critical(page, name: str) -> None:
    """Run axe-core on ``page`` as it is now; fail on critical violations."""
    results = _AXE.run(page)
    critical = [v for v in results.response["violations"] if v.get("impact") == "critical"]
    details = "\n".join(
        f"- {v['id']}: {v['help']} ({', '.join(str(n['target']) for n in v['nodes'][:5])})"
        for v in critical)
    assert not critical, f"{name}: {len(critical)} critical accessibility violation(s):\n{details}"
