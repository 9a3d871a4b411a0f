"""Times one side of a benchmark inside a fresh interpreter.

Started only by :mod:`benchmarks.isolate`, as
``python -m benchmarks.worker MODULE SIDE`` with a JSON payload on stdin. It
calls ``benchmarks.MODULE.prepare_SIDE(payload)``, which does the imports and
the setup and returns the work as a function of no arguments; only that call
is timed, so interpreter start-up and imports stay out of the figure for both
tools alike. The result is printed as one line that starts with RESULT_MARK.
"""

from __future__ import annotations

import importlib
import json
import socket
import sys
import time

RESULT_MARK = "@@benchmark-result@@ "


def refuse_network() -> None:
    """A benchmark must not wait on the network: an import we forgot to serve
    locally fails at once instead of timing a DNS lookup or a download."""

    def refuse(*args, **kwargs):
        raise OSError("benchmarks run offline: network access refused")

    socket.getaddrinfo = refuse
    socket.create_connection = refuse
    socket.socket.connect = refuse


def main(argv: list[str]) -> int:
    module_name, side = argv
    payload = json.load(sys.stdin)
    refuse_network()
    started = time.perf_counter()
    module = importlib.import_module(f"benchmarks.{module_name}")
    work = getattr(module, f"prepare_{side}")(payload)
    ready = time.perf_counter()
    outcome = work()
    done = time.perf_counter()
    result = {"seconds": done - ready, "setup_seconds": ready - started, "outcome": outcome}
    sys.stdout.write("\n" + RESULT_MARK + json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
