"""Helpers for tests that run the app in a real server process (Uvicorn on a free port)."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable

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


def healthy(url: str) -> bool:
    """True if the server at ``url`` answers /healthz now."""
    try:
        return httpx.get(f"{url}/healthz", timeout=2.0).status_code == 200
    except httpx.TransportError:
        return False


def answers_in_time(url: str, running: Callable[[], bool], deadline: float) -> bool:
    """Wait for the server at ``url`` to answer /healthz: True once it does; False if it
    stopped ``running`` first or ``deadline`` (``time.monotonic()``) passed."""
    while running() and time.monotonic() < deadline:
        if healthy(url):
            return True
        time.sleep(0.1)
    return False


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate a server process, kill it if it does not end in time."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
