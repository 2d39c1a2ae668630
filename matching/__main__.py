"""Command line: ``python -m matching solve INSTANCE.json [-o RESULT.json] [--all-scores]``.

Bad input exits with status 2 and one line on stderr; never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .instance import InputError
from .solve import solve


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict:
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise InputError(
                f"duplicate key {json.dumps(key, ensure_ascii=False)} in a JSON object"
            )
        out[key] = value
    return out


def _no_constants(name: str) -> float:
    raise InputError(f"{name} is not valid JSON")


def load_instance(path: str) -> Any:
    """Read and decode an instance file, raising `InputError` with a one-line message."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        raise InputError(f"{path}: cannot read ({error.strerror or error})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: not UTF-8 (byte {error.start})") from None
    try:
        return json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constants)
    except json.JSONDecodeError as error:
        raise InputError(
            f"{path}: not JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        ) from None
    except RecursionError:
        raise InputError(f"{path}: not JSON: nested too deeply") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m matching", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("solve", help="solve an instance file and write the result")
    run.add_argument("instance", help="instance JSON file (UTF-8)")
    run.add_argument("-o", "--output", help="write the result here instead of stdout")
    run.add_argument(
        "--all-scores", action="store_true", help="also list the score of every feasible pair"
    )
    args = parser.parse_args(argv)
    try:
        result = solve(load_instance(args.instance), all_scores=args.all_scores)
    except InputError as error:
        print(str(error).splitlines()[0] if str(error) else "bad input", file=sys.stderr)
        return 2
    text = json.dumps(result.to_dict(), ensure_ascii=False, indent=2, allow_nan=False)
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as handle:
                handle.write(text + "\n")
        except OSError as error:
            print(f"{args.output}: cannot write ({error.strerror or error})", file=sys.stderr)
            return 1
    else:
        sys.stdout.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
