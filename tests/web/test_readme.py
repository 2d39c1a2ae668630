from __future__ import annotations

import re

from web.core.settings import ROOT, Settings


def test_every_setting_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"^\| `(TANDEM_[A-Z_]+)` \|", readme, flags=re.MULTILINE))
    assert documented == {f"TANDEM_{name.upper()}" for name in Settings.model_fields}


def test_the_readme_shows_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme


def test_every_tandem_command_is_in_the_readme():
    from web.cli import build_parser

    readme = (ROOT / "README.md").read_text()
    commands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    listed = set(re.findall(r"`tandem ([a-z-]+)", readme))
    assert set(commands) <= listed, f"not in the README: {sorted(set(commands) - listed)}"


def test_every_periodic_job_is_in_the_cron_block():
    """A deployment that copies the cron block must run every job that is due by the clock
    (until now check-ins were missing, so a deployment never sent them)."""
    readme = (ROOT / "README.md").read_text()
    cron = readme.split("```cron", 1)[1].split("```", 1)[0]
    for job in ("follow-up", "check-ins", "purge", "backup"):
        assert f"tandem {job}" in cron, job
