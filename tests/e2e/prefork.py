"""Forks the browser tests' servers from one process that imported the app once.

A new Python process spends about 1.5 CPU-seconds importing the app before Uvicorn
answers, once per browser-test module. This parent (one per test worker, started by
``tests/e2e/conftest.py``) imports it once; for each line ``{"env", "port", "log"}`` on
its standard input it forks a child that takes that environment, writes to that log and
serves the app on that port, and answers with the child's pid. Closing its standard input
ends it.

The parent starts no thread, so forking it is safe. The kernel reaps the children
(SIGCHLD ignored), so the tests watch a child by its pid.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import traceback

import uvicorn

import web.app  # noqa: F401  (the import every child shares)


def serve(env: dict[str, str], port: int, log: str) -> None:
    """In the child: become the server ``env`` describes; never return."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the app waits for its own subprocesses
    os.environ.clear()
    os.environ.update(env)
    nothing = os.open(os.devnull, os.O_RDONLY)  # the parent's requests are not the child's
    output = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    for source, target in ((nothing, 0), (output, 1), (output, 2)):
        os.dup2(source, target)
    os.close(nothing)
    os.close(output)
    code = 0
    try:
        uvicorn.run(
            "web.app:create_app", factory=True, host="127.0.0.1", port=port, access_log=False
        )
    except BaseException:  # the log shows why, and the parent's code never runs on
        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def main() -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    for line in sys.stdin:
        request = json.loads(line)
        assert threading.active_count() == 1, "fork only a single-threaded parent"
        pid = os.fork()
        if pid == 0:
            serve(request["env"], request["port"], request["log"])
        print(pid, flush=True)


if __name__ == "__main__":
    main()
