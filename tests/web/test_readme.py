from __future__ import annotations

import re

from web.core.settings import ROOT, Settings


def test_every_setting_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"^\| `(TANDEM_[A-Z_]+)` \|", readme, flags=re.MULTILINE))
    assert documented == {f"TANDEM_{name.upper()}" for name in Settings.model_fields}


def make_target(name: str) -> tuple[list[str], list[str]]:
    """A Makefile target's prerequisites and recipe lines."""
    makefile = (ROOT / "Makefile").read_text()
    found = re.search(rf"^{name}:([^#\n]*).*\n((?:\t.*\n)*)", makefile, flags=re.MULTILINE)
    assert found, f"no `{name}` target in the Makefile"
    return found.group(1).split(), [line.strip() for line in found.group(2).splitlines()]


def test_the_readme_shows_the_two_commands():
    """The first block of the README is the two commands, and they do what it says."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    assert [line.split("#")[0].strip() for line in block.splitlines()] == ["make run", "make test"]
    run_needs, run = make_target("run")
    assert {"install", "migrate"} <= set(run_needs)
    assert any("tandem demo" in line for line in run) and run[-1].endswith("tandem serve")
    test_needs, test = make_target("test")
    assert "install" in test_needs and any("pytest" in line for line in test)


def test_every_tandem_command_is_in_the_readme():
    from web.cli import build_parser

    readme = (ROOT / "README.md").read_text()
    commands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    listed = set(re.findall(r"`tandem ([a-z-]+)", readme))
    assert set(commands) <= listed, f"not in the README: {sorted(set(commands) - listed)}"


def test_the_queue_runs_every_periodic_job_and_the_readme_lists_them():
    """The worker schedules the periodic jobs itself (issue 18): the cron block holds no job,
    and every job the queue schedules is in the README's table with its command (until
    issue 18 check-ins were missing from the cron block, so a deployment never sent them)."""
    from web.core.queue import huey
    from web.jobs import tasks

    readme = (ROOT / "README.md").read_text()
    cron = readme.split("```cron", 1)[1].split("```", 1)[0]
    assert [line for line in cron.splitlines() if line.strip() and not line.startswith("#")] == []
    table = readme.split("| periodic job | when (UTC) | same as |", 1)[1].split("\n\n", 1)[0]
    for command in ("send-mail", "follow-up", "check-ins", "purge", "backup"):
        assert f"`tandem {command}`" in table, command
    scheduled = {task.__name__ for task in huey._registry._periodic_tasks}  # noqa: SLF001
    assert scheduled == {"send_mail_every_minute", *set(tasks.SCHEDULE) - {"send_mail"}}
