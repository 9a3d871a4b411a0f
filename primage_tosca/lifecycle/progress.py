"""Waiting for an infrastructure: polling with backoff, and what is shown meanwhile."""

from __future__ import annotations

import sys
import time
from typing import Callable, TextIO

DONE = {"configured"}
FAILED = {"unconfigured", "failed", "stopped", "off", "deleting"}


class WaitTimeout(Exception):
    """The infrastructure did not settle in time."""


def backoff(first: float = 0.05, factor: float = 1.6, most: float = 5.0):
    """Poll intervals: short at first (a Dummy or fast cloud settles within a
    second), then growing to at most ``most`` seconds: it never hammers IM."""
    interval = first
    while True:
        yield interval
        interval = min(interval * factor, most)


class Progress:
    """State transitions per VM with the elapsed time: one plain line per
    change, or a line rewritten in place on a terminal."""

    def __init__(self, stream: TextIO | None = None, live: bool | None = None):
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.start = time.monotonic()
        self.seen: dict[str, str] = {}
        self.state = ""

    def update(self, state: dict) -> None:
        elapsed = time.monotonic() - self.start
        vms = {str(k): str(v) for k, v in state.get("vm_states", {}).items()}
        changes = [(vm, self.seen.get(vm), new) for vm, new in sorted(vms.items(), key=lambda i: _num(i[0]))
                   if self.seen.get(vm) != new]
        overall = state.get("state", "unknown")
        if self.live:
            counts: dict[str, int] = {}
            for value in vms.values():
                counts[value] = counts.get(value, 0) + 1
            summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
            self.stream.write(f"\r\x1b[K{elapsed:6.1f}s  {overall:<12} {summary}")
            if overall in DONE | FAILED:
                self.stream.write("\n")
        else:
            for vm, old, new in changes:
                self.stream.write(f"{elapsed:6.1f}s  vm {vm}: {old or 'new'} -> {new}\n")
            if overall != self.state:
                self.stream.write(f"{elapsed:6.1f}s  infrastructure: {overall}\n")
        self.stream.flush()
        self.seen, self.state = vms, overall

    def finish(self) -> None:
        if self.live and self.state not in DONE | FAILED:
            self.stream.write("\n")
            self.stream.flush()


def _num(text: str):
    return (0, int(text)) if text.isdigit() else (1, text)


def wait_for(get_state: Callable[[], dict], *, timeout: float | None = None,
             on_state: Callable[[dict], None] | None = None, sleep: Callable[[float], None] = time.sleep,
             retry: Callable[[Exception], bool] | None = None,
             on_error: Callable[[Exception], None] | None = None) -> dict:
    """Poll ``get_state`` until the infrastructure is configured or failed;
    raises :class:`WaitTimeout` after ``timeout`` seconds. An error for which
    ``retry`` says yes (IM unreachable for a while) is reported to
    ``on_error`` and polled through, with the same backoff, until the timeout;
    then it is raised."""
    deadline = None if timeout is None else time.monotonic() + timeout
    intervals = backoff()
    while True:
        try:
            state = get_state()
        except Exception as exc:
            if retry is None or not retry(exc) or (deadline is not None and time.monotonic() >= deadline):
                raise
            if on_error:
                on_error(exc)
            state = None
        if state is not None:
            if on_state:
                on_state(state)
            if state.get("state") in DONE | FAILED:
                return state
        pause = next(intervals)
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise WaitTimeout(f"still {state.get('state') if state else 'unknown'} after {timeout:.0f} s")
            pause = min(pause, left)
        sleep(pause)


__all__ = ["DONE", "FAILED", "Progress", "WaitTimeout", "backoff", "wait_for"]
