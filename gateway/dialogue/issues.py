"""What the linter reports: issues (errors and warnings) and the whole report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NotRequired, TypedDict

from gateway.vocab import Channel

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


class Coverage(TypedDict):
    """Translation coverage of one language."""

    translated: int
    total: int
    missing: list[str]  # flat text keys with no text of this language's own
    reviewed: int  # texts of its own a native speaker has checked
    draft: list[str]  # flat text keys of its own still in draft (not reviewed)


class Screen(TypedDict):
    """One rendered screen, as the linter measured it."""

    step: str  # a step id, or "messages.<name>" for a system screen
    language: str
    channel: str
    text: str
    length: int
    length_with_error: int
    fits_ussd: bool
    sms_segments: int
    non_gsm: list[tuple[int, str]]
    page: NotRequired[int]  # 1-based, for menus cut into pages
    variant: NotRequired[str]  # e.g. the group of a filtered list, or "kept"


@dataclass
class LintReport:
    errors: list[LintIssue] = field(default_factory=list)
    warnings: list[LintIssue] = field(default_factory=list)
    coverage: dict[str, Coverage] = field(default_factory=dict)  # language -> coverage
    screens: list[Screen] = field(default_factory=list)  # one per rendered screen
    base_language: str | None = None  # the script's, once it could be built

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(self, issue: LintIssue) -> None:
        (self.errors if issue.level == ERROR else self.warnings).append(issue)

    def format(self) -> str:
        """Human-readable, one issue per line, errors first, then coverage."""
        out = [i.format() for i in self.errors + self.warnings]
        for lang, cov in self.coverage.items():
            out.append(f"coverage {lang}: {cov['translated']}/{cov['total']} translated, "
                       f"{cov['reviewed']} reviewed")
        worst = max((s["length"] for s in self.screens if s["channel"] == Channel.USSD), default=0)
        out.append(
            f"{len(self.errors)} error(s), {len(self.warnings)} warning(s); "
            f"{len(self.screens)} screens checked, longest USSD screen {worst} characters"
        )
        return "\n".join(out)
