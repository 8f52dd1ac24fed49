"""The docs stay true to the CLI: every command and option is documented."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from dataforge.cli import cli

ROOT = Path(__file__).resolve().parents[1]
JOBS_DOC = (ROOT / "docs" / "jobs.md").read_text()
README = (ROOT / "README.md").read_text()


def job_commands() -> dict[str, click.Command]:
    return cli.commands["jobs"].commands


@pytest.mark.parametrize("name", sorted(job_commands()))
def test_every_job_command_has_a_section_and_every_option_is_documented(name):
    assert f"## {name}" in JOBS_DOC
    command = job_commands()[name]
    for param in command.params:
        if isinstance(param, click.Option):
            assert any(opt in JOBS_DOC for opt in param.opts), f"{name}: {param.opts} missing from docs/jobs.md"


@pytest.mark.parametrize("name", sorted(job_commands()))
def test_every_command_help_has_an_example(name):
    result = CliRunner().invoke(cli, ["jobs", name, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output
    assert f"dataforge jobs {name}" in result.output


def test_readme_starts_with_the_two_commands_and_lists_exit_codes():
    first_block = re.search(r"```sh\n(.*?)```", README, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in first_block.splitlines() if line.strip()]
    assert commands == ["make demo", "make test"]
    safety = (ROOT / "docs" / "safety.md").read_text()
    for code in ("| 0 |", "| 1 |", "| 2 |", "| 130 |", "| 143 |", "| 129 |", "| 141 |"):
        assert code in README and code in JOBS_DOC
    for code in ("| 0 |", "| 1 |", "| 2 |", "| 129, 130, 143 |", "| 141 |"):
        assert code in safety


def test_top_level_help_and_version():
    runner = CliRunner()
    assert "jobs" in runner.invoke(cli, ["--help"]).output
    assert runner.invoke(cli, ["--version"]).output.startswith("dataforge, version")


def test_help_does_not_import_mrjob_pyspark_or_numpy():
    code = ("import sys; from click.testing import CliRunner; from dataforge.cli import cli; "
            "[CliRunner().invoke(cli, [*c, '--help']) for c in ([], ['jobs'], ['jobs', 'filter'], ['dedup', 'match'], ['dedup', 'review'], ['dedup', 'label'])]; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('mrjob', 'pyspark', 'numpy')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


DEDUP_DOC = (ROOT / "docs" / "dedup.md").read_text()


def dedup_commands() -> dict[str, click.Command]:
    """Every dedup command, a group's own commands included ("index build")."""
    found = {}
    for name, command in cli.commands["dedup"].commands.items():
        found[name] = command
        for sub, subcommand in getattr(command, "commands", {}).items():
            found[f"{name} {sub}"] = subcommand
    return found


@pytest.mark.parametrize("name", sorted(dedup_commands()))
def test_every_dedup_option_is_documented_and_help_has_an_example(name):
    command = dedup_commands()[name]
    for param in command.params:
        if isinstance(param, click.Option):
            assert any(f"`{opt}" in DEDUP_DOC for opt in param.opts), f"{param.opts} missing from docs/dedup.md"
    result = CliRunner().invoke(cli, ["dedup", *name.split(), "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output and f"dataforge dedup {name}" in result.output


def test_dedup_doc_lists_every_pair_and_group_column():
    from dataforge.dedup.options import GROUP_COLUMNS, PAIR_COLUMNS

    for column in PAIR_COLUMNS + GROUP_COLUMNS:
        assert f"| `{column}` |" in DEDUP_DOC


def test_architecture_names_every_module():
    """docs/architecture.md's tree stays true: every module of the package is on it."""
    page = (ROOT / "docs" / "architecture.md").read_text()
    missing = [str(p.relative_to(ROOT)) for p in sorted((ROOT / "dataforge").rglob("*.py"))
               if p.name != "__init__.py" and p.name not in page and p.parent.name != "synthetic"]
    assert missing == []
