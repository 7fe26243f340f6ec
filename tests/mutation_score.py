"""Print mutmut's score per target after ``mutmut run`` (``make mutate``).

Score = (killed + timeout + caught by type check) / (mutants - skipped), as
mutmut's own badge counts it; "no tests" and "suspicious" count as survivors.
``--fail-under N`` exits 1 when a target scores below N percent.
See docs/testing.md, "Mutation testing".
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

TARGETS = {
    "dialogue engine": ["gateway/dialogue/engine.py", "gateway/dialogue/render.py"],
    "provider adapters": ["handlers/africastalking.py", "handlers/twilio.py"],
    "rate limiter and loop guard": ["gateway/core/ratelimit.py", "gateway/intake/safety.py"],
    "routing decisions": ["gateway/routing/decide.py"],
}
KILLED = {"killed", "timeout", "caught by type check"}


def statuses(path: str, root: Path) -> Counter:
    meta = root / (path + ".meta")
    if not meta.exists():
        sys.exit(f"{meta} not found: run mutmut first (make mutate)")
    codes = json.loads(meta.read_text())["exit_code_by_key"].values()
    return Counter(status_by_exit_code[code] for code in codes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fail-under", type=float, default=0.0, metavar="PERCENT")
    parser.add_argument("--mutants", type=Path, default=Path("mutants"))
    args = parser.parse_args(argv)
    failed = False
    for name, paths in TARGETS.items():
        total = Counter()
        for path in paths:
            counts = statuses(path, args.mutants)
            total += counts
            print(f"    {path}: {_line(counts)}")
        tested = sum(total.values()) - total["skipped"]
        score = 100.0 * sum(total[s] for s in KILLED) / tested if tested else 0.0
        print(f"{name}: {score:.1f}% ({_line(total)})")
        failed |= score < args.fail_under
    if failed:
        print(f"below {args.fail_under:g}%: see `mutmut results` and docs/testing.md")
    return 1 if failed else 0


def _line(counts: Counter) -> str:
    killed = sum(counts[s] for s in KILLED)
    others = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()) if s not in KILLED)
    return f"{killed}/{sum(counts.values())} killed" + (f", {others}" if others else "")


if __name__ == "__main__":
    sys.exit(main())
