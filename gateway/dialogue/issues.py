"""What the linter reports: issues (errors and warnings) and the whole report."""

from __future__ import annotations

from dataclasses import dataclass, field

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class LintIssue:
    level: str  # "error" | "warning"
    code: str  # stable identifier, e.g. "unknown_next", "screen_too_long"
    message: str
    line: int | None = None
    step: str | None = None
    language: str | None = None
    source: str = "script"  # "script" | "gazetteer": which YAML ``line`` points into

    def format(self) -> str:
        where = "" if self.source == "script" else f"{self.source} "
        where += f"line {self.line}" if self.line is not None else "(no line)"
        return f"{where}: {self.level}: {self.message} [{self.code}]"


@dataclass
class LintReport:
    errors: list[LintIssue] = field(default_factory=list)
    warnings: list[LintIssue] = field(default_factory=list)
    # {lang: {"translated": n, "total": m, "missing": [keys]}}
    coverage: dict = field(default_factory=dict)
    # one dict per rendered screen; see lint.py
    screens: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(self, issue: LintIssue) -> None:
        (self.errors if issue.level == ERROR else self.warnings).append(issue)

    def format(self) -> str:
        """Human-readable, one issue per line, errors first, then coverage."""
        out = [i.format() for i in self.errors + self.warnings]
        for lang, cov in self.coverage.items():
            out.append(f"coverage {lang}: {cov['translated']}/{cov['total']} texts translated")
        worst = max((s["length"] for s in self.screens if s["channel"] == "ussd"), default=0)
        out.append(
            f"{len(self.errors)} error(s), {len(self.warnings)} warning(s); "
            f"{len(self.screens)} screens checked, longest USSD screen {worst} characters"
        )
        return "\n".join(out)
