"""The house rules of docs/architecture.md, checked on the source so they cannot quietly rot."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# package -> module prefixes it must never import
FORBIDDEN = {
    "wallet_api": ("app", "ui", "voice"),
    "ui": ("wallet_api", "httpx", "vosk", "pyttsx3"),
    "voice": ("ui", "app", "wallet_api"),
}
# The launcher may start the server in-process; every other client module sees only the wire contract.
CLIENT_LAUNCHERS = {"app/cli.py"}


def python_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _violations(package: str, forbidden: tuple[str, ...]) -> list[str]:
    return [f"{path.relative_to(ROOT)} imports {name}"
            for path in python_files(package) for name in imported_modules(path)
            if any(name == f or name.startswith(f + ".") for f in forbidden)]


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_packages_import_only_downhill(package):
    assert _violations(package, FORBIDDEN[package]) == []


def test_client_sees_only_the_wire_contract():
    bad = [f"{path.relative_to(ROOT)} imports {name}"
           for path in python_files("app") if str(path.relative_to(ROOT)) not in CLIENT_LAUNCHERS
           for name in imported_modules(path)
           if name.startswith("wallet_api") and not (name == "wallet_api.schemas"
                                                      or name.startswith("wallet_api.schemas."))]
    assert bad == []


MONEY_WRITES = re.compile(r"\.balance\s*[-+]?=(?!=)|\bPosting\(|insert\(\s*(Posting|_postings)|head_hash\s*=(?!=)")


def test_only_the_ledger_writes_balances_and_postings():
    offenders = []
    for path in python_files("wallet_api"):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(("wallet_api/ledger/", "wallet_api/migrations/")):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if MONEY_WRITES.search(line):
                offenders.append(f"{rel}:{number}: {line.strip()}")
    assert offenders == []


def test_schemas_are_pydantic_only():
    allowed = ("pydantic", "typing", "datetime", "enum", "__future__", "annotated_types", "wallet_api.schemas")
    bad = [f"{path.relative_to(ROOT)} imports {name}" for path in python_files("wallet_api/schemas")
           for name in imported_modules(path) if not name.startswith(allowed)]
    assert bad == []


def test_the_architecture_check_itself_sees_a_violation(tmp_path):
    """Guard against a check that passes because it reads nothing."""
    sample = tmp_path / "sample.py"
    sample.write_text("import httpx\nfrom wallet_api.ledger import post_transfer\nx.balance += 5\n")
    assert {"httpx", "wallet_api.ledger"} <= imported_modules(sample)
    assert MONEY_WRITES.search("x.balance += 5") and not MONEY_WRITES.search("if a.balance == 0:")
    assert len(python_files("wallet_api")) > 20
