"""A smoke run of the benchmark harness with tiny numbers, so it cannot rot.
Not a timed test: it checks that every part runs and reports, not how fast."""

from __future__ import annotations

import json
import os

from bench import __main__ as bench_main


def test_harness_runs_end_to_end_and_writes_results(tmp_path):
    database = os.environ.get("TEST_DATABASE_URL") or "sqlite"
    code = bench_main.main([
        "--quick", "--only", "ussd,alert,memory", "--database", database,
        "--gunicorn-workers", "1", "--out", str(tmp_path),
    ])
    assert code == 0
    results = json.loads((tmp_path / "latest.json").read_text())
    assert results["ussd"]["app"]["errors"] == 0
    assert results["ussd"]["app"]["dialogues"] >= 1
    assert results["ussd"]["ratio"] > 0
    assert results["report_to_alert"]["missing"] == 0
    assert results["redis_memory"]["bytes_per_session"] > 0
    markdown = (tmp_path / "latest.md").read_text()
    assert "USSD ratio to baseline" in markdown and "Report to alert" in markdown


def test_data_growth_benchmark_seeds_and_measures_every_page(tmp_path):
    """`--only data` bulk-loads PostgreSQL (COPY) and every measured page answers 200."""
    database = os.environ.get("TEST_DATABASE_URL")
    if not database:
        import pytest

        pytest.skip("the data benchmark bulk-loads PostgreSQL: set TEST_DATABASE_URL")
    code = bench_main.main(["--quick", "--only", "data", "--database", database,
                            "--gunicorn-workers", "1", "--out", str(tmp_path)])
    assert code == 0
    results = json.loads((tmp_path / "latest.json").read_text())
    assert [size["reports"] for size in results["data"]] == [200, 600]
    last = results["data"][-1]
    assert last["seeded"]["messages_total"] == 600 * 23
    assert {name: m["status"] for name, m in last["pages"].items()} == dict.fromkeys(last["pages"], 200)
    assert last["pages"]["console: CSV export, every report"]["streamed"] is True
    assert "CSV export" in (tmp_path / "latest.md").read_text()
