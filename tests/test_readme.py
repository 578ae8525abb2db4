"""The README's Quick start is a contract: CI runs its test command word for word."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def quick_start_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```(?:sh|bash)?\n(.*?)```", section, flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines()
            if line.strip() and not line.startswith("#")]


def test_quick_start_is_two_commands_and_ci_runs_the_test_one():
    install_and_open, install_and_test = quick_start_commands()
    assert install_and_open.endswith("&& workbench")
    assert "pip install -e ." in install_and_open
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert install_and_test in ci


def test_every_cli_command_is_documented():
    from workbench.cli.main import COMMANDS

    text = (ROOT / "README.md").read_text()
    for name in COMMANDS:
        assert f"workbench {name}" in text, name
