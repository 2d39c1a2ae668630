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
