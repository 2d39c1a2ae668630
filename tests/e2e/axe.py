"""axe-core for the accessibility tests, fetched once from the npm registry into ``.cache/axe/``.

The version and the registry's integrity hash are pinned here, so every machine
checks the same file, and nothing from npm is committed. ``npm pack`` is used
when npm is installed (it honours the user's npm registry settings); otherwise
the same tarball is downloaded from registry.npmjs.org. Either way the tarball
must match the pinned SHA-512 before ``axe.min.js`` is unpacked.

Fetch it ahead of time (e.g. before going offline)::

    .venv/bin/python tests/e2e/axe.py

``TANDEM_AXE_JS=/path/to/axe.min.js`` uses a file you provide instead.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

VERSION = "4.14.1"
# `npm view axe-core@4.14.1 dist.integrity`
INTEGRITY = (
    "sha512-"
    "FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
)
TARBALL_URL = f"https://registry.npmjs.org/axe-core/-/axe-core-{VERSION}.tgz"
ROOT = Path(__file__).resolve().parents[2]
CACHE_DIR = ROOT / ".cache" / "axe"


class AxeUnavailable(RuntimeError):
    """axe-core could not be fetched or did not match the pinned hash."""


def _tarball_with_npm(npm: str) -> bytes:
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run(
            [npm, "pack", f"axe-core@{VERSION}", "--pack-destination", scratch, "--silent"],
            check=True,
            capture_output=True,
            timeout=120,
        )
        return (Path(scratch) / f"axe-core-{VERSION}.tgz").read_bytes()


def _tarball_from_registry() -> bytes:
    with urllib.request.urlopen(TARBALL_URL, timeout=60) as response:  # noqa: S310 (pinned https)
        return response.read()


def _verified(tarball: bytes) -> bytes:
    algorithm, _, expected = INTEGRITY.partition("-")
    actual = base64.b64encode(hashlib.new(algorithm, tarball).digest()).decode()
    if actual != expected:
        raise AxeUnavailable(f"axe-core {VERSION} tarball does not match the pinned {algorithm}")
    return tarball


def axe_script() -> Path:
    """The path of ``axe.min.js``, fetching and verifying it on first use."""
    provided = os.environ.get("TANDEM_AXE_JS")
    if provided:
        if not Path(provided).is_file():
            raise AxeUnavailable(f"TANDEM_AXE_JS={provided} is not a file")
        return Path(provided)
    target = CACHE_DIR / VERSION / "axe.min.js"
    if target.is_file():
        return target
    npm = shutil.which("npm")
    try:
        tarball = _tarball_with_npm(npm) if npm else _tarball_from_registry()
    except (OSError, subprocess.SubprocessError) as exc:
        how = "npm pack" if npm else TARBALL_URL
        raise AxeUnavailable(f"cannot fetch axe-core {VERSION} ({how}): {exc}") from exc
    with tarfile.open(fileobj=io.BytesIO(_verified(tarball)), mode="r:gz") as archive:
        member = archive.extractfile("package/axe.min.js")
        if member is None:
            raise AxeUnavailable(f"axe-core {VERSION} tarball has no package/axe.min.js")
        script = member.read()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    partial.write_bytes(script)
    partial.replace(target)  # never leave half a file for the next run
    return target


if __name__ == "__main__":
    try:
        print(axe_script())
    except AxeUnavailable as problem:
        sys.exit(str(problem))
