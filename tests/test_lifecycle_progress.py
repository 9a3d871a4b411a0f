"""What a deploy shows while it waits: plain lines, or one line rewritten on a
terminal; and the polling it does meanwhile."""

from __future__ import annotations

import io
import itertools

import pytest

from primage_tosca.lifecycle.progress import Progress, WaitTimeout, backoff, wait_for


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


STATES = [
    {"state": "pending", "vm_states": {"0": "pending", "1": "pending"}},
    {"state": "running", "vm_states": {"0": "running", "1": "pending"}},
    {"state": "configured", "vm_states": {"0": "configured", "1": "configured"}},
]


def test_on_a_terminal_one_line_is_rewritten_and_ended_once_settled():
    screen = Terminal()
    progress = Progress(screen)
    assert progress.live
    for state in STATES:
        progress.update(state)
    progress.finish()
    text = screen.getvalue()
    frames = text.split("\r\x1b[K")[1:]  # each update returns to the line's start and clears it
    assert len(frames) == 3
    assert "pending" in frames[0] and "2 pending" in frames[0]
    assert "running" in frames[1] and "1 pending, 1 running" in frames[1]
    assert "2 configured" in frames[2]
    assert text.endswith("\n") and text.count("\n") == 1  # one newline, when it settled; finish adds none


def test_on_a_terminal_finish_ends_a_line_left_unsettled():
    screen = Terminal()
    progress = Progress(screen)
    progress.update(STATES[0])
    progress.finish()
    assert screen.getvalue().endswith("\n") and screen.getvalue().count("\n") == 1


def test_elsewhere_each_change_is_one_plain_line():
    log = io.StringIO()
    progress = Progress(log)
    assert not progress.live
    for state in STATES:
        progress.update(state)
    progress.update(STATES[-1])  # nothing changed: nothing written
    lines = [line.split("s  ", 1)[1] for line in log.getvalue().splitlines()]
    assert lines == [
        "vm 0: new -> pending", "vm 1: new -> pending", "infrastructure: pending",
        "vm 0: pending -> running", "infrastructure: running",
        "vm 0: running -> configured", "vm 1: pending -> configured", "infrastructure: configured",
    ]
    assert "\r" not in log.getvalue() and "\x1b" not in log.getvalue()


def test_vms_are_listed_in_numeric_order():
    log = io.StringIO()
    Progress(log).update({"state": "pending", "vm_states": {"10": "pending", "2": "pending"}})
    assert log.getvalue().index("vm 2:") < log.getvalue().index("vm 10:")


def test_backoff_starts_short_and_is_capped():
    intervals = list(itertools.islice(backoff(), 20))
    assert intervals[0] == pytest.approx(0.05)
    assert all(a <= b for a, b in zip(intervals, intervals[1:]))
    assert max(intervals) == pytest.approx(5.0)


def test_wait_returns_the_settled_state_and_reports_each_poll():
    answers = iter(STATES)
    seen, slept = [], []
    final = wait_for(lambda: next(answers), on_state=seen.append, sleep=slept.append)
    assert final["state"] == "configured"
    assert seen == STATES
    assert slept == pytest.approx([0.05, 0.08])


def test_wait_gives_up_after_its_timeout():
    slept = []
    with pytest.raises(WaitTimeout, match="still pending"):
        wait_for(lambda: STATES[0], timeout=0.0, sleep=slept.append)
    assert slept == []
