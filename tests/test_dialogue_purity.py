"""gateway/dialogue must do no I/O: it may not import anything that does."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "gateway" / "dialogue"
#: The shared enums and the exception tree: leaves that import nothing of ours.
ALLOWED = {"gateway.vocab", "gateway.errors"}
FORBIDDEN = {
    "flask", "redis", "rq", "sqlalchemy", "requests", "httpx", "twilio", "africastalking",
    "os", "socket", "subprocess", "urllib", "http", "time", "random", "pathlib",
    "io", "shutil", "tempfile", "importlib", "datetime", "uuid", "secrets", "gateway",
}


def imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in ("__import__", "open", "exec", "eval")):
            found.append((node.lineno, f"{node.func.id}()"))
    return found


MODULES = sorted(PACKAGE.glob("*.py"))


def test_the_package_has_modules():
    """The purity check sees the engine's modules (guards against a wrong path)."""
    assert {"engine.py", "script.py", "lint.py", "gsm.py"} <= {p.name for p in MODULES}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_module_imports_nothing_that_does_io(path):
    """No dialogue module imports an I/O library, the clock, randomness or open()."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    bad = [
        f"{path.name}:{line} {name}"
        for line, name in imported_modules(tree)
        if name.endswith("()") or (name.split(".")[0] in FORBIDDEN and name not in ALLOWED)
    ]
    assert not bad, "gateway/dialogue must stay pure (see its README.md): " + ", ".join(bad)
