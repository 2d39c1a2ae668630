"""The command line, run as a user would: `python -m matching solve ...` in a subprocess."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import make_instance, make_local, make_newcomer

DATA = Path(__file__).parent / "data"


def run(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "matching", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
    )


def write(tmp_path, content, name="instance.json"):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_text(json.dumps(content), encoding="utf-8")
    return path


def test_it_solves_the_checked_in_instance(tmp_path):
    out = tmp_path / "result.json"
    done = run("solve", DATA / "kassel_small.json", "-o", out)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    result = json.loads(out.read_text(encoding="utf-8"))
    pairs = {(p["local"], p["newcomer"]) for p in result["pairs"]}
    # anna (capacity 2) takes amal and sami (vetted, so the 16-year-old may join);
    # clara meets marie online; bernd/olena is forbidden (the only local
    # who would fit olena); bahram speaks only Farsi.
    assert pairs == {("anna", "n-amal"), ("anna", "n-sami"), ("clara", "n-marie")}
    waiting = {u["newcomer"]: u["blocked_by"] for u in result["unmatched"]}
    # olena: slots and distance each exclude 3 of 4 locals; the earlier rule is named
    assert waiting == {"n-bahram": "language", "n-olena": "slots"}
    gap = next(g for g in result["gaps"] if g["area"] == "Hofgeismar")
    assert gap == {
        "area": "Hofgeismar",
        "blocked_by": "language",
        "languages": ["fa"],
        "waiting": 1,
        "slots": [["sat_morning", 1]],
    }
    assert result["stats"]["feasible_pairs"] == 3
    assert "scores" not in result


def test_it_prints_every_score_on_request(tmp_path):
    done = run("solve", DATA / "kassel_small.json", "--all-scores")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert [row[:2] for row in result["scores"]] == [
        ["anna", "n-amal"],
        ["anna", "n-sami"],
        ["clara", "n-marie"],
    ]


BAD_FILES = [
    (
        make_instance(
            newcomers=[make_newcomer(f"N{i}") for i in range(17)]
            + [make_newcomer("N17", languages={"en": "B3"})]
        ),
        'newcomers[17] (id "N17"): languages.en: "B3" is not a level (A1 A2 B1 B2 C1 C2 native)',
    ),
    (
        make_instance(newcomers=[make_newcomer(slots=["fri_night"])]),
        'newcomers[0] (id "N1"): slots[0]: "fri_night" is not one of (mon_morning',
    ),
    (make_instance(pets=[]), "pets: unknown key"),
    (make_instance(locals_=[make_local(needs=[])]), 'locals[0] (id "L1"): needs: unknown key'),
    (
        make_instance(newcomers=[make_newcomer("N1"), make_newcomer("N1")]),
        'newcomers[1] (id "N1"): id: duplicate of newcomers[0]',
    ),
    (make_instance(pinned=[["L1", "N404"]]), 'pinned[0]: newcomer "N404" does not exist'),
    (
        make_instance(
            newcomers=[make_newcomer("N1"), make_newcomer("N2")],
            pinned=[["L1", "N1"], ["L1", "N2"]],
        ),
        'locals[0] (id "L1"): capacity: 1 but 2 pinned pairs (pinned[0], pinned[1])',
    ),
    (
        make_instance(
            locals_=[make_local("L1"), make_local("L2")], pinned=[["L1", "N1"], ["L2", "N1"]]
        ),
        'newcomers[0] (id "N1"): pinned more than once (pinned[0], pinned[1])',
    ),
    ('{"today": "2026-05-01", "locals": [', "instance.json: not JSON: Expecting value (line 1"),
    ('{"today": "2026-05-01", "today": "2026-05-02"}', 'duplicate key "today"'),
    ('{"today": "2026-05-01", "locals": [], "newcomers": [], "x": NaN}', "NaN is not valid JSON"),
    (b'{"today": "2026-05-01", "locals": [{"id": "L\xe9"}]}', "instance.json: not UTF-8 (byte"),
    ("[1, 2]", "instance: [1, 2] is not an object"),
]


@pytest.mark.parametrize(("content", "message"), BAD_FILES)
def test_it_reports_bad_input_in_one_line_with_exit_code_2(tmp_path, content, message):
    done = run("solve", write(tmp_path, content), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_it_reports_a_missing_file(tmp_path):
    done = run("solve", tmp_path / "nope.json")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "nope.json: cannot read" in done.stderr
