"""``mpaka users create|list``."""

from __future__ import annotations

import json

from gateway.cli import users


def test_users_create_and_list(app):
    """An officer created from the command line is listed with their county."""
    runner = app.test_cli_runner()
    result = runner.invoke(users.users, ["create", "--role", "county_officer", "--county",
                                         "mandera", "--password", "a-long-password",
                                         "mandera-desk"])
    assert result.exit_code == 0, result.output
    listed = json.loads(runner.invoke(users.users, ["list", "--json"]).output)
    assert {"username": "mandera-desk", "role": "county_officer", "counties": ["mandera"],
            "active": True} in listed


def test_users_create_refuses_an_officer_without_a_county(app):
    """The command says what is missing and exits non-zero."""
    result = app.test_cli_runner().invoke(users.users, [
        "create", "--role", "county_officer", "--password", "a-long-password", "nobody"])
    assert result.exit_code == 1
    assert "at least one county" in result.output


def test_users_create_prompts_for_the_password(app):
    """Without --password the password is asked twice, hidden."""
    result = app.test_cli_runner().invoke(
        users.users, ["create", "--role", "admin", "second-admin"],
        input="a-long-password\na-long-password\n")
    assert result.exit_code == 0, result.output
    assert "created admin second-admin" in result.output
