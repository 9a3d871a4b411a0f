"""The platform rules (PT410, PT411, PT720, PT721) on their fixtures, and
details the fixtures cannot show.

Until ``primage_tosca.checks`` imports :mod:`primage_tosca.checks.platform`
itself, importing it here registers the check (tests/test_rules.py then sees
it too, in a whole-suite run)."""

from __future__ import annotations

import pytest

import primage_tosca.checks.platform  # noqa: F401 - registers the check
from primage_tosca.checks.platform import image_registry, select_inputs
import test_rules as rules

RULES_DIR = rules.RULES_DIR

OURS = ("PT410", "PT411", "PT720", "PT721")


def cases(prefix: str) -> list:
    return [pytest.param(rule, path, id=f"{rule}/{path.name}")
            for rule in OURS for path in sorted((RULES_DIR / rule).glob(prefix + "*.yaml"))]


@pytest.mark.parametrize("rule, path", cases("bad"))
def test_platform_bad_fixture(rule, path) -> None:
    rules.test_bad_fixture_reports_each_marked_line(rule, path)


@pytest.mark.parametrize("rule, path", cases("good"))
def test_platform_good_fixture(rule, path) -> None:
    rules.test_good_fixture_is_clean(rule, path)


def test_every_platform_rule_has_fixtures() -> None:
    assert [r for r in OURS if not (any((RULES_DIR / r).glob("good*.yaml"))
                                    and any((RULES_DIR / r).glob("bad*.yaml")))] == []


@pytest.mark.parametrize("image, host", [
    ("registry.example.org:5000/seg:1", "registry.example.org:5000"), ("localhost/x", "localhost"),
    ("jupyter/scipy-notebook", None), ("ubuntu", None), ("quay.io/jupyter/base:1", "quay.io"), (None, None)])
def test_image_registry(image, host) -> None:
    assert image_registry(image) == host


def test_selection_rules() -> None:
    listing = ["in/a.nii.gz", "in/b.nii.gz", "in/notes.txt"]
    assert select_inputs({"input_pattern": "in/*.nii.gz", "input_listing": listing}).files == listing[:2]
    assert select_inputs({"input_files": ["x", "y.nii.gz"], "input_pattern": "*.nii.gz"}).files == ["y.nii.gz"]
    assert select_inputs({"input_pattern": "in/*"}).files is None  # not known before the job runs
    assert select_inputs({"input_pattern": {"get_input": "p"}, "input_listing": listing}).files is None
    assert select_inputs({"input_files": []}).files == []
