"""Run each repetition of each side in its own fresh interpreter.

A fresh process per repetition is the fairest comparison we know: neither tool
keeps a cache, a warmed-up type registry or an imported module from an earlier
repetition, and both pay the same start-up, which is left out of the timing
(see :mod:`benchmarks.worker`)."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from typing import Any

from .paths import ROOT
from .worker import RESULT_MARK

TIMEOUT_SECONDS = 900
_home: str | None = None


class WorkerError(Exception):
    """A side of a benchmark crashed or printed no result."""


@dataclass
class Sample:
    seconds: float
    setup_seconds: float
    outcome: Any = None


@dataclass
class Samples:
    """Every timed repetition of one side."""

    runs: list[Sample] = field(default_factory=list)

    @property
    def seconds(self) -> list[float]:
        return [run.seconds for run in self.runs]

    @property
    def setup_seconds(self) -> list[float]:
        return [run.setup_seconds for run in self.runs]


def scratch_home() -> str:
    """One empty data dir for every worker of this run, so no user cache,
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
    return env


def time_in_subprocess(module: str, side: str, payload: Any) -> Sample:
    """Time ``benchmarks.<module>.prepare_<side>(payload)()`` in a new interpreter."""
    command = [sys.executable, "-m", "benchmarks.worker", module, side]
    try:
        done = subprocess.run(command, input=json.dumps(payload), capture_output=True, text=True,
                              cwd=ROOT, env=worker_env(), timeout=TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        raise WorkerError(f"{module}:{side} took longer than {TIMEOUT_SECONDS} s") from None
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_MARK)]
    if done.returncode != 0 or not lines:
        tail = "\n".join(done.stderr.strip().splitlines()[-15:])
        raise WorkerError(f"{module}:{side} exited {done.returncode} without a result:\n{tail}")
    return Sample(**json.loads(lines[-1][len(RESULT_MARK):]))


def time_pair(module: str, ours: Any, peer: Any, repeat: int, warmup: int = 0) -> tuple[Samples, Samples]:
    """Time both sides ``repeat`` times, interleaved, so a machine that gets
    busier or quieter during the run weighs on both alike. The side that goes
    first alternates; warm-up rounds (which fill the OS file cache) are
    discarded."""
    ours_samples, peer_samples = Samples(), Samples()
    for round_number in range(warmup + repeat):
        sides = [("ours", ours, ours_samples), ("peer", peer, peer_samples)]
        if round_number % 2:
            sides.reverse()
        for side, payload, samples in sides:
            sample = time_in_subprocess(module, side, payload)
            if round_number >= warmup:
                samples.runs.append(sample)
    return ours_samples, peer_samples
