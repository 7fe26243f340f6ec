"""``mpaka partners``: add, list, token, shares."""

from __future__ import annotations

import json

from gateway.cli import partners


def test_partners_add_and_list(app):
    runner = app.test_cli_runner()
    result = runner.invoke(partners.partners, ["add", "NCTC Nairobi", "--level", "incident",
                                               "--county", "wajir"])
    assert result.exit_code == 0, result.output
    listed = json.loads(runner.invoke(partners.partners, ["list", "--json"]).output)
    assert [(p["name"], p["level"], p["counties"]) for p in listed] == [
        ("NCTC Nairobi", "incident", ["wajir"])]


def test_partners_add_refuses_an_unknown_county(app):
    result = app.test_cli_runner().invoke(partners.partners, [
        "add", "X", "--level", "report", "--county", "atlantis"])
    assert result.exit_code == 1 and "Unknown county: atlantis" in result.output


def test_partners_add_refuses_a_duplicate_name(app):
    runner = app.test_cli_runner()
    runner.invoke(partners.partners, ["add", "UNHCR", "--level", "aggregate"])
    result = runner.invoke(partners.partners, ["add", "unhcr", "--level", "aggregate"])
    assert result.exit_code == 1 and "exists already" in result.output


def test_partner_token_works_on_shared_api(app, client):
    runner = app.test_cli_runner()
    runner.invoke(partners.partners, ["add", "UNHCR", "--level", "aggregate"])
    result = runner.invoke(partners.partners, ["token", "UNHCR"])
    assert result.exit_code == 0, result.output
    token = next(line for line in result.stdout.splitlines() if line.startswith("mpk_"))
    response = client.get("/api/v1/shared/partner", headers={"Authorization": f"Bearer {token}"})
    assert response.json["level"] == "aggregate"


def test_partners_shares_lists_what_was_received(app, client):
    runner = app.test_cli_runner()
    runner.invoke(partners.partners, ["add", "UNHCR", "--level", "aggregate"])
    token = next(w for w in runner.invoke(partners.partners, ["token", "UNHCR"]).stdout.split()
                 if w.startswith("mpk_"))
    client.get("/api/v1/shared/aggregates", headers={"Authorization": f"Bearer {token}"})
    output = runner.invoke(partners.partners, ["shares", "UNHCR"]).output
    assert "api" in output and "aggregate" in output


def test_tokens_list_names_a_partners_token(app):
    from gateway.cli import tokens

    runner = app.test_cli_runner()
    runner.invoke(partners.partners, ["add", "UNHCR", "--level", "aggregate"])
    runner.invoke(partners.partners, ["token", "UNHCR"])
    listed = json.loads(runner.invoke(tokens.tokens, ["list", "--json"]).output)
    assert [t["user"] for t in listed] == ["partner:UNHCR"]
    assert runner.invoke(tokens.tokens, ["list"]).exit_code == 0
