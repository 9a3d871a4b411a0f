"""Record classes behave as the dataclasses they replace."""

from __future__ import annotations

import copy
import dataclasses
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from primage_tosca.records import FrozenInstanceError, asdict, field, fields, record, replace


@record
class Point:
    x: int
    y: int = 0
    tags: list = field(default_factory=list)
    note: str | None = field(default=None, repr=False)


@record(frozen=True, order=True)
class Version:
    major: int
    minor: int = 0


@record(eq=False)
class Handle:
    name: str


@record
class Checked:
    low: int
    high: int

    def __post_init__(self) -> None:
        if self.low > self.high:
            raise ValueError("low above high")


@dataclasses.dataclass
class PointDC:
    x: int
    y: int = 0
    tags: list = dataclasses.field(default_factory=list)
    note: str | None = dataclasses.field(default=None, repr=False)


def test_init_defaults_and_factories_as_dataclasses():
    a, b = Point(1), Point(1)
    assert (a.x, a.y, a.tags, a.note) == (1, 0, [], None)
    assert a.tags is not b.tags  # a fresh list each
    assert Point(1, 2, ["t"], "n").tags == ["t"]
    assert Point(x=3, note="n").note == "n"
    with pytest.raises(TypeError):
        Point()
    with pytest.raises(TypeError):
        Point(1, unknown=2)


def test_repr_and_equality_match_dataclasses():
    assert repr(Point(1, 2, ["a"], "hidden")) == repr(PointDC(1, 2, ["a"], "hidden")).replace("PointDC", "Point")
    assert Point(1, 2) == Point(1, 2) and Point(1, 2) != Point(1, 3)
    assert Point(1) != PointDC(1)  # another class is never equal
    with pytest.raises(TypeError):
        hash(Point(1))  # equal by value and mutable: unhashable


def test_frozen_is_hashable_ordered_and_refuses_assignment():
    assert Version(1, 2) < Version(1, 10) <= Version(1, 10) and Version(2) > Version(1, 9)
    assert sorted([Version(2), Version(1, 5), Version(1)]) == [Version(1), Version(1, 5), Version(2)]
    assert {Version(1, 2): "a"}[Version(1, 2)] == "a"
    with pytest.raises(FrozenInstanceError):
        Version(1).major = 2
    with pytest.raises(AttributeError):
        del Version(1).minor
    assert Version(1).__lt__(Point(1)) is NotImplemented


def test_eq_false_keeps_identity():
    first = Handle("a")
    assert first != Handle("a") and first == first and hash(first) == object.__hash__(first)


def test_post_init_runs():
    with pytest.raises(ValueError):
        Checked(3, 1)
    assert Checked(1, 3).high == 3


def test_replace_fields_asdict():
    point = Point(1, 2, ["a"])
    moved = replace(point, y=5)
    assert (moved.x, moved.y, moved.tags) == (1, 5, ["a"]) and point.y == 2
    assert replace(Version(1, 2), minor=3) == Version(1, 3)
    assert [f.name for f in fields(Point)] == ["x", "y", "tags", "note"]
    assert [f.name for f in fields(point)] == ["x", "y", "tags", "note"]
    assert asdict(Point(1, 2, [Version(1)])) == {"x": 1, "y": 2, "tags": [{"major": 1, "minor": 0}], "note": None}
    with pytest.raises(TypeError):
        replace(point, z=1)
    with pytest.raises(TypeError):
        fields(object())


def test_copies_and_pickles():
    point = Point(1, 2, ["a"])
    assert copy.deepcopy(point) == point and copy.copy(Version(1)) == Version(1)
    assert pickle.loads(pickle.dumps(Version(3, 4))) == Version(3, 4)


def test_declaration_errors():
    with pytest.raises(TypeError):
        @record
        class Wrong:
            a: int = 1
            b: int

    with pytest.raises(ValueError):
        @record
        class Shared:
            items: list = []  # noqa: RUF012 - the mistake under test

    with pytest.raises(ValueError):
        record(eq=False, order=True)


def test_subclass_fields_come_after_the_base_ones():
    @record
    class Child(Point):
        z: int = 9

    child = Child(1, 2, [], None, 3)
    assert (child.x, child.z) == (1, 3) and [f.name for f in fields(Child)] == ["x", "y", "tags", "note", "z"]


def test_the_default_path_does_not_import_dataclasses():
    """Why records exist: a one-file validate does not pay for dataclasses and inspect (nor for
    OpenSSL, difflib, json or shutil, loaded only where they are used)."""
    code = ("import sys, primage_tosca.pipeline, primage_tosca.cli, primage_tosca.report.text; "
            "print(sorted(m for m in ('dataclasses', 'inspect', 'difflib', 'json', 'hashlib', 'shutil') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_methods_are_written_on_first_use():
    @record(frozen=True)
    class Fresh:
        a: int
        b: int = 2

    assert getattr(Fresh.__init__, "__record_placeholder__", False)  # nothing compiled yet
    blank = object.__new__(Fresh)
    with pytest.raises(FrozenInstanceError):
        blank.a = 1  # the first use is an assignment: still refused
    assert not getattr(Fresh.__setattr__, "__record_placeholder__", False)
    assert getattr(Fresh.__init__, "__record_placeholder__", False)  # each method on its own
    made = Fresh(1)
    assert (made.a, made.b, hash(made) == hash(Fresh(1))) == (1, 2, True)
    assert repr(made).endswith("Fresh(a=1, b=2)")


def test_a_class_that_defines_a_method_keeps_it():
    @record
    class Own:
        a: int

        def __repr__(self) -> str:
            return "mine"

        def __eq__(self, other: object) -> bool:
            return True

    assert repr(Own(1)) == "mine" and Own(1) == Own(2) and Own(1) == 3


def test_a_compile_to_radl_loads_nothing_it_does_not_use():
    root = Path(__file__).resolve().parents[1]  # the blueprint's imports are read within the checkout
    blueprint = str(root / "blueprints" / "hello-compute.yaml")
    code = ("import sys; from primage_tosca.api import compile_results; "
            f"r = compile_results({blueprint!r}, target='radl', roots=[{str(root)!r}])[0]; assert r.text, r.diagnostics; "
            "print(sorted(m for m in ('dataclasses', 'inspect', 'difflib', 'json', 'hashlib', 'shutil', 'tempfile') "
            "if m in sys.modules))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=root)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"
