"""The type checker's exceptions stay few and explained (issue 14): mypy runs over
``web/`` and ``matching/`` in ``make lint``; where it must be silenced, the comment
names the error code and, after it, why."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IGNORE = re.compile(r"#\s*type:\s*ignore(?P<codes>\[[^\]]+\])?(?P<rest>.*)$")
MOST = 49


def _ignores() -> Iterator[tuple[str, re.Match[str]]]:
    for path in sorted([*ROOT.glob("web/**/*.py"), *ROOT.glob("matching/**/*.py")]):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            found = IGNORE.search(line)
            if found:
                yield f"{path.relative_to(ROOT)}:{number}", found


def test_every_type_ignore_names_its_code_and_its_reason() -> None:
    unexplained = [
        where
        for where, found in _ignores()
        if not found["codes"] or not re.match(r"\s+#\s*\w", found["rest"])
    ]
    assert not unexplained, "type: ignore[code]  # reason, please: " + ", ".join(unexplained)


def test_few_type_ignores_remain() -> None:
    count = sum(1 for _ in _ignores())
    assert count <= MOST, f"{count} type: ignore comments; fix the types instead"


def test_the_pattern_sees_what_it_should() -> None:
    explained = IGNORE.search("x = f()  # type: ignore[call-arg]  # set by the relationship")
    bare = IGNORE.search("x = f()  # type: ignore")
    assert explained is not None and explained["codes"] == "[call-arg]"
    assert re.match(r"\s+#\s*\w", explained["rest"])
    assert bare is not None and bare["codes"] is None


def test_make_lint_runs_the_type_checker() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    lint = makefile.split("\nlint:", 1)[1].split("\n\n", 1)[0]
    assert "$(BIN)/mypy" in lint
