"""Keep the docs true to the code."""

from __future__ import annotations

import re
from pathlib import Path

import wallet_api.errors as errors
from app.cli import build_parser
from wallet_api.config import Settings

ROOT = Path(__file__).resolve().parents[1]


def _subclasses(cls: type) -> set[type]:
    direct = set(cls.__subclasses__())
    return direct.union(*(_subclasses(c) for c in direct))


def problem_codes() -> set[str]:
    import wallet_api.main  # noqa: F401  (imports every domain, and with it every problem type)

    return {cls.code for cls in _subclasses(errors.Problem)}


def test_every_problem_code_is_documented():
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", (ROOT / "docs/errors.md").read_text(), re.M))
    assert problem_codes() <= documented
    assert len(problem_codes()) > 20


def test_every_setting_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    missing = [name for name in Settings.model_fields if f"ANXIN_{name.upper()}" not in readme]
    assert missing == []


def test_every_cli_command_in_the_readme_exists():
    readme = (ROOT / "README.md").read_text()
    parser = build_parser()
    commands = set(parser._subparsers._group_actions[0].choices)  # top-level subcommands
    for command in re.findall(r"^\| `anxin ([a-z-]+)", readme, re.M):
        assert command in commands, command


def test_readme_opens_with_two_commands():
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## Two commands", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    lines = [line for line in block.strip().splitlines() if line.strip()]
    assert [line.split()[0:2] for line in lines] == [["make", "demo"], ["make", "test"]]
