"""Run and time whole processes: what a user runs, start-up and imports included.

Every repetition of every side is a fresh process, timed by the harness from
just before it is spawned to the moment it has exited (and been reaped), so
interpreter start-up, imports, the work and the exit all count, for both
tools alike. Its peak memory (the RSS high-water mark) comes from the kernel
with the exit status (``wait4``).

A process may print one line that starts with :data:`RESULT_MARK` and holds a
JSON object (what it did, and its own clock around its imports and its work);
the harness keeps it as the sample's ``report``.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .paths import ROOT

RESULT_MARK = "@@benchmark-result@@ "
TIMEOUT_SECONDS = 900
# Any fetch a benchmark forgot to serve locally goes to this dead proxy and
# fails at once, instead of timing a download (loopback stays direct).
DEAD_PROXY = "http://127.0.0.1:9"
LOOPBACK = "127.0.0.1,localhost,::1"
_home: str | None = None


class WorkerError(Exception):
    """A side of a benchmark crashed, timed out or did not do its work."""


@dataclass
class Command:
    """One process to run: ``argv``, with ``stdin`` as its input."""

    argv: list[str]
    stdin: str = ""
    env: dict[str, str] | None = None  # None: worker_env()
    cwd: str | None = None  # None: the repository root


@dataclass
class Sample:
    """One whole process: wall seconds from spawn to exit, peak RSS in kB.
    ``spawned`` is the ``time.perf_counter()`` of the spawn: on Linux it is
    the system's monotonic clock, the same in every process, so a process can
    report its own clock readings and the harness can place them."""

    seconds: float
    max_rss_kb: int
    returncode: int
    stdout: str
    stderr: str
    report: dict | None = None
    spawned: float = 0.0

    def require(self, label: str, codes: tuple[int, ...] = (0,)) -> Sample:
        """The sample, or :class:`WorkerError` when the process failed."""
        if self.returncode not in codes:
            tail = "\n".join((self.stderr.strip() or self.stdout.strip()).splitlines()[-15:])
            raise WorkerError(f"{label} exited {self.returncode}:\n{tail}")
        return self


@dataclass
class Samples:
    """Every timed repetition of one side."""

    runs: list[Sample] = field(default_factory=list)

    @property
    def seconds(self) -> list[float]:
        return [run.seconds for run in self.runs]

    @property
    def max_rss_kb(self) -> int:
        """The highest peak RSS of any repetition."""
        return max(run.max_rss_kb for run in self.runs)

    def reported(self, key: str) -> list:
        """One value each repetition's process reported about itself."""
        return [run.report[key] for run in self.runs if run.report and key in run.report]


def scratch_home() -> str:
    """One empty data dir for every process of this run, so no user cache,
    config or import map changes what either tool does."""
    global _home
    if _home is None:
        _home = tempfile.mkdtemp(prefix="primage-bench-home-")
        atexit.register(shutil.rmtree, _home, True)
    return _home


def worker_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env["PRIMAGE_TOSCA_HOME"] = scratch_home()
    env["PRIMAGE_TOSCA_CONFIG"] = os.devnull
    env.pop("PRIMAGE_TOSCA_IMPORT_MAP", None)
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        env[name] = DEAD_PROXY
    env["no_proxy"] = env["NO_PROXY"] = LOOPBACK
    return env


def compile_bytecode() -> None:
    """Write our package's bytecode (``__pycache__``), as pip does when it
    installs a package: the peers' installed packages have theirs, and a
    process that must compile ours from source on every start (as when
    PYTHONDONTWRITEBYTECODE is set) would time the compiler, not our tool."""
    import compileall

    if not compileall.compile_dir(str(ROOT / "primage_tosca"), quiet=1):
        raise WorkerError("our package does not compile to bytecode")


def python_command(script: str, payload: Any, python: str | None = None) -> Command:
    """``python -c script`` with ``payload`` as JSON on its stdin."""
    return Command([python or sys.executable, "-c", script], stdin=json.dumps(payload))


def _report(stdout: str) -> dict | None:
    lines = [line for line in stdout.splitlines() if line.startswith(RESULT_MARK)]
    return json.loads(lines[-1][len(RESULT_MARK):]) if lines else None


def run_process(command: Command, timeout: float = TIMEOUT_SECONDS) -> Sample:
    """Run ``command`` to its end and time it. Output goes to files, not
    pipes, so no reading thread runs beside the clock."""
    with tempfile.TemporaryFile("w+", encoding="utf-8") as given, \
            tempfile.TemporaryFile("w+", encoding="utf-8") as out, \
            tempfile.TemporaryFile("w+", encoding="utf-8") as err:
        given.write(command.stdin)
        given.flush()
        given.seek(0)
        started = time.perf_counter()
        process = subprocess.Popen(command.argv, stdin=given, stdout=out, stderr=err,
                                   cwd=command.cwd or ROOT, env=command.env or worker_env())
        timer = threading.Timer(timeout, os.kill, (process.pid, signal.SIGKILL))
        timer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            seconds = time.perf_counter() - started
            timer.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
        if process.returncode == -signal.SIGKILL and seconds >= timeout:
            raise WorkerError(f"{command.argv[:4]} took longer than {timeout:g} s")
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    max_rss_kb = usage.ru_maxrss  # kilobytes on Linux
    return Sample(seconds, max_rss_kb, process.returncode, stdout, stderr, _report(stdout), started)


Job = tuple[str, Callable[[], Command]]  # a key, and what to run (made anew for each repetition)


def time_jobs(jobs: list[Job], repeat: int, warmup: int = 0) -> dict[str, Samples]:
    """Each job once per round, each time in a new process; the order rotates
    from round to round, so a machine that gets busier or quieter during the
    run weighs on every job alike. Warm-up rounds (which fill the OS file
    cache) are discarded."""
    samples = {key: Samples() for key, _ in jobs}
    for round_number in range(warmup + repeat):
        shift = round_number % len(jobs)
        for key, make in jobs[shift:] + jobs[:shift]:
            sample = run_process(make())
            if round_number >= warmup:
                samples[key].runs.append(sample)
    return samples


def time_pair(ours: Callable[[], Command], peer: Callable[[], Command], repeat: int,
              warmup: int = 0) -> tuple[Samples, Samples]:
    """Both sides ``repeat`` times, interleaved, the side that goes first alternating."""
    found = time_jobs([("ours", ours), ("peer", peer)], repeat, warmup)
    return found["ours"], found["peer"]
