"""The shipped dialogue script and gazetteer, read as package data.

This is the only place that reads them: gateway.dialogue itself does no I/O.
"""

from __future__ import annotations

from importlib import resources

from gateway.dialogue import Script, load_script


def _read(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def default_script_text() -> str:
    return _read("default.yaml")


def gazetteer_text() -> str:
    return _read("gazetteer.yaml")


def load_default_script() -> Script:
    return load_script(default_script_text(), gazetteer_text=gazetteer_text())
