"""What a benchmark hands back, and the arithmetic on it."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field


@dataclass
class Config:
    """How a run was asked for: smoke runs use tiny inputs and judge nothing."""

    smoke: bool = False
    repeat: int = 5


@dataclass
class Result:
    """One benchmark's outcome. Samples are seconds, one per repetition.

    ``target_ratio`` is the least acceptable value of peer median / our
    median: 5.0 means "at least five times faster than the peer", 1.0 "no
    slower", 0.5 "at most twice as slow"."""

    name: str
    measures: str = ""  # what our side does, in a sentence
    peer_measures: str = ""  # what the peer does, in a sentence
    ours_label: str = "primage_tosca"  # short names for the tables
    peer_label: str = "peer"
    ours: list[float] = field(default_factory=list)
    peer: list[float] = field(default_factory=list)
    ours_rss_kb: int | None = None  # peak memory of one side's process (the highest of its repetitions)
    peer_rss_kb: int | None = None
    target_ratio: float | None = None
    notes: list[str] = field(default_factory=list)
    skipped: str | None = None  # why it did not run, e.g. the peer is not installed
    error: str | None = None  # the harness or a side crashed
    judged: bool = True  # False in smoke runs: tiny inputs say nothing about speed

    @classmethod
    def skip(cls, name: str, why: str, **fields) -> "Result":
        return cls(name, skipped=why, **fields)

    @property
    def ran(self) -> bool:
        return not self.skipped and not self.error and bool(self.ours) and bool(self.peer)

    @property
    def ratio(self) -> float | None:
        if not self.ran or median(self.ours) <= 0:
            return None
        return median(self.peer) / median(self.ours)

    @property
    def verdict(self) -> str:
        if self.skipped:
            return "SKIPPED"
        if self.error:
            return "ERROR"
        if not self.judged:
            return "not judged (smoke)"
        if self.target_ratio is None or self.ratio is None:
            return "no target"
        return "PASS" if self.ratio >= self.target_ratio else "FAIL"


def median(samples: list[float]) -> float:
    return statistics.median(samples)


@dataclass
class Bound:
    """A further target of a benchmark: ``value`` must be at most (or at least) ``limit``."""

    label: str
    value: float | None
    limit: float
    at_most: bool = True
    unit: str = "x"
    digits: int = 2

    @property
    def met(self) -> bool:
        if self.value is None:
            return False
        return self.value <= self.limit if self.at_most else self.value >= self.limit

    def text(self) -> str:
        shown = "-" if self.value is None else f"{self.value:.{self.digits}f}{self.unit}"
        return (f"{self.label}: **{shown}**, target {'<=' if self.at_most else '>='} {self.limit:g}{self.unit}: "
                f"**{'PASS' if self.met else 'FAIL'}**")


@dataclass
class JointResult(Result):
    """A :class:`Result` with further targets. The report's tables show the
    first target (peer median / our median); the others are written in the
    notes. The verdict is PASS only when every target is met."""

    further: list[Bound] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        first = super().verdict
        if first not in ("PASS", "FAIL"):
            return first
        return "PASS" if first == "PASS" and all(bound.met for bound in self.further) else "FAIL"
