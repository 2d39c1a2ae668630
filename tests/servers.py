"""Helpers for tests that run the app in a real server process (Uvicorn on a free port)."""

from __future__ import annotations

import socket
import subprocess

import httpx

START_TIMEOUT = 60.0  # seconds for a process to answer /healthz (imports are heavy)
# Generous: on a shared two-core machine running two test workers a first answer can be slow.
HTTP_TIMEOUT = httpx.Timeout(60.0, connect=10.0)


def free_port() -> int:
    """A loopback port nobody listens on now (the system picks it, so parallel test
    workers get different ones)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate a server process, kill it if it does not end in time."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
