"""The linter's report shaped for the editor: issues with line numbers, a
coverage table (step × language) and a screen-size table."""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.defaults import gazetteer_text
from gateway.dialogue import LintReport, lint_script


@dataclass
class LintView:
    report: LintReport
    languages: list[str]
    coverage: list[tuple[str, dict]]  # (step or "messages", {language: [missing keys]})
    screens: list[tuple[str, dict]]  # (row label, {language: {"ussd": entry, "sms": entry}})
    #: per translated language: (code, translated, total, reviewed, [draft keys])
    review: list[tuple[str, int, int, int, list[str]]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.report.ok


def lint(body: str) -> LintView:
    report = lint_script(body, gazetteer_text=gazetteer_text())
    languages = list(report.coverage)
    steps: list[str] = []
    for entry in report.screens:
        if not entry["step"].startswith("messages.") and entry["step"] not in steps:
            steps.append(entry["step"])
    coverage = []
    for row in steps + ["messages"]:
        prefix = "messages." if row == "messages" else f"steps.{row}."
        cells = {lang: [k[len(prefix):] for k in report.coverage[lang]["missing"]
                        if k.startswith(prefix)] for lang in languages}
        coverage.append((row, cells))
    screens: dict[str, dict] = {}
    for entry in report.screens:
        name = entry["step"]
        if entry.get("variant"):
            name += f" ({entry['variant']})"
        if entry.get("page"):
            name += f", page {entry['page']}"
        screens.setdefault(name, {}).setdefault(entry["language"], {})[entry["channel"]] = entry
    review = [(code, cov["translated"], cov["total"], cov["reviewed"], cov["draft"])
              for code, cov in report.coverage.items()]
    return LintView(report, languages, coverage, list(screens.items()), review)
