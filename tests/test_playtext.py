"""The play writer gives, byte for byte, the text of the yaml.dump call it replaces.

Every comparison is against PyYAML itself (the dumper the compiler used
before); a spy on the writer's fallback makes sure the plain play data of
these tests is written by the writer, not handed back to PyYAML.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CORPUS, ROOT, needs_corpus
from primage_tosca.emit import playtext
from primage_tosca.emit.playtext import DOUBLE, PLAIN, SINGLE, PlainDumper, play_text, scalar_style

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def pyyaml(data, width=256) -> str:
    return yaml.dump(data, Dumper=PlainDumper, default_flow_style=False, explicit_start=True, width=width,
                     sort_keys=False, allow_unicode=True)


@pytest.fixture
def fallbacks(monkeypatch):
    """How many documents went to PyYAML."""
    calls: list = []
    real = playtext.dump_plays

    def spy(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(playtext, "dump_plays", spy)
    return calls


# -- strings of every kind ---------------------------------------------------------------------------

# Each reads as something else, breaks a line or needs escaping: PyYAML quotes them (or not) its own way.
BREAKS = "\n\r\x85\u2028\u2029"
AWKWARD = [
    "", " ", "  ", "a", "yes", "No", "on", "OFF", "y", "~", "null", "Null", "true", "False", "1", "-1", "+1",
    "1.0", "1e5", "1.0e+5", ".inf", "-.Inf", ".NaN", "0o7", "0x1F", "0b101", "1_000", "12:30", "190:20:30",
    "2001-01-01", "2001-12-14t21:59:43.10-05:00", "=", "<<", "-", "--", "---", "--- a", "...", "....", "- a",
    "-a", "a-", "?", "? a", "?a", ":", ": a", ":a", "a:", "a: b", "a:b", "a :b", "#", "# a", "a #b", "a#b",
    "a# b", "'", "''", '"', "a'b", 'a"b', "\\", "a\\nb", "!a", "&a", "*a", "|", ">", "%", "@a", "`a", "{", "}",
    "[", "]", ",", "a,b", "{{ x }}", "[a]", "a [b]", "http://x.example.org:80/a?b=c#d", "a b", "a  b", " a",
    "a ", "\t", "a\tb", "\n", "a\n", "\na", "a\nb", "a\n\nb\n", "a \nb", "a\n b", "\r", "a\r\nb", "\x85",
    "\u2028", "a\u2028b", "\u2029", "\x00", "\x07", "\x1b", "\x7f", "\x9f", "\xa0", "é", "日本語", "\ufeff",
    "\ufffe", "\uffff", "\ue000", "😀", "\U0010ffff", "ab: 😀",
]


@pytest.mark.parametrize("text", AWKWARD, ids=repr)
def test_every_kind_of_string_as_value_key_and_item(text, fallbacks):
    data = [{"vars": {"v": text, "n": [text, {"k": text}]}, "tasks": [{"debug": {"msg": text}}]}]
    if not any(char in text for char in BREAKS):  # keys with breaks take the "? " form: PyYAML writes those
        data.append({text: text})
    assert play_text(data) == pyyaml(data)
    assert not fallbacks


@pytest.mark.parametrize("text, style", [("yes", SINGLE), ("1.0", SINGLE), ("~", SINGLE), ("", SINGLE),
                                         ("a: b", SINGLE), ("a\nb", SINGLE), ("a\tb", DOUBLE), ("a \nb", DOUBLE),
                                         ("😀", DOUBLE), ("é", PLAIN), ("cloud.example.org", PLAIN)])
def test_scalar_style_names_the_quoting(text, style):
    assert scalar_style(text) == style


def test_yes_is_quoted_so_it_reads_back_as_a_string():
    text = play_text([{"vars": {"answer": "yes", "real": True}}])
    assert text == "---\n- vars:\n    answer: 'yes'\n    real: true\n"
    assert yaml.safe_load(text) == [{"vars": {"answer": "yes", "real": True}}]


@pytest.mark.parametrize("width", [256, 40, 12, 1 << 20])
@pytest.mark.parametrize("text", [
    " ".join(["word"] * 120), " ".join(["wörd"] * 90) + " 'end'", "x" * 300 + " y", "a  " * 150,
    "yes " * 100, "\t".join(["word"] * 100) + " " + " ".join(["word"] * 80), ("a " * 60 + "\n") * 4,
    ("it's " * 70).strip(), ("a \t" * 60), " " + "b " * 150 + " ", ("line\n" * 3 + "x " * 150),
])
def test_long_strings_fold_at_the_width_as_pyyaml_does(text, width, fallbacks):
    data = [{"tasks": [{"shell": text, "args": [text]}], "vars": {"deep": {"deeper": [[text]]}}}]
    assert play_text(data, width) == pyyaml(data, width)
    assert not fallbacks


# -- numbers, booleans, null, empty collections ------------------------------------------------------

@pytest.mark.parametrize("value", [None, True, False, 0, -7, 10 ** 30, 0.0, -0.0, 1.5, 1e17, 1e-7, -2.5e-300,
                                   math.inf, -math.inf, math.nan, {}, [], [{}], [[]], {"a": {}}])
def test_other_values(value, fallbacks):
    data = [{"vars": {"x": value, "y": [value]}}, {"tasks": [value]}]
    assert play_text(data) == pyyaml(data)
    assert not fallbacks


@pytest.mark.parametrize("key", [1, -2, True, False, None, 1.5, "x" * 128, "é" * 64])
def test_keys_of_other_scalars(key, fallbacks):
    data = [{key: "v", "w": {key: [1]}}]
    assert play_text(data) == pyyaml(data)
    assert not fallbacks


def test_a_mapping_at_the_root():
    data = {"hosts": "all", "tasks": [{"ping": None}]}
    assert play_text(data) == pyyaml(data) == "---\nhosts: all\ntasks:\n- ping: null\n"


# -- what goes to PyYAML ----------------------------------------------------------------------------

class Text(str):
    pass


def nested(depth: int) -> list:
    data: list = [1]
    for _ in range(depth):
        data = [data]
    return data


def loop() -> list:
    data: list = [{"a": 1}]
    data.append(data)
    return data


@pytest.mark.parametrize("data", [
    [{"x" * 129: 1}], [{"é" * 65: 1}], [{"a\nb": 1}], [{"a\rb": 1}], [{"\u2028": 1}], [{"a\x85": 1}], [{10 ** 130: 1}], [{(1, 2): 3}],
    [{"a": (1, 2)}], [{"a": {1, 2}}], [{"a": b"bytes"}], [{"a": Text("t")}], [{"a": "\ud800"}],
    [{"\udfff": 1}], [], {}, "text", 5, [{"deep": nested(150)}],
])
def test_other_data_is_written_by_pyyaml(data, fallbacks):
    try:
        expected = pyyaml(data)
    except (yaml.YAMLError, UnicodeError) as exc:  # PyYAML refuses it: so does the writer, the same way
        with pytest.raises(type(exc)):
            play_text(data)
    else:
        assert play_text(data) == expected
    assert len(fallbacks) == 1


def test_self_containing_data_fails_as_pyyaml_does(fallbacks):
    with pytest.raises(RecursionError):
        play_text(loop())
    assert len(fallbacks) == 1


@pytest.mark.parametrize("width", [0, 3, -1, 4.5, None])
def test_odd_widths_are_left_to_pyyaml(width, fallbacks):
    data = [{"msg": " ".join(["word"] * 40)}]
    assert play_text(data, width) == pyyaml(data, width)
    assert len(fallbacks) == 1


def test_a_width_libyaml_cannot_take_fails_as_it_does(fallbacks):
    with pytest.raises(OverflowError):
        play_text([{"msg": "a b"}], 1 << 31)
    assert len(fallbacks) == 1


def test_without_libyaml_pyyaml_writes_every_play(monkeypatch, fallbacks):
    monkeypatch.setattr(playtext, "_LIBYAML", False)
    assert play_text([{"msg": "a b"}]) == "---\n- msg: a b\n"
    assert len(fallbacks) == 1


# -- generated plays ---------------------------------------------------------------------------------

_atoms = st.sampled_from(AWKWARD + ["word", "longer_word", " ", "  ", "a b c", "{{ item }}", "- name"])
_strings = st.one_of(
    st.lists(_atoms, max_size=8).map("".join),
    st.text(max_size=20),
    st.lists(st.sampled_from(["word", "wörd", "x", "yes", "a:", "#c", "'q'", "\n", "  "]), min_size=40,
             max_size=140).map(" ".join),  # long: folds
)
_keys = st.one_of(st.lists(_atoms.filter(lambda a: not any(c in a for c in BREAKS)),
                           max_size=4).map("".join).map(lambda k: k[:30]),
                  st.integers(), st.booleans(), st.none(), st.floats(allow_nan=False))
_scalars = st.one_of(_strings, st.integers(), st.booleans(), st.none(), st.floats())


def _collections(inner: st.SearchStrategy) -> st.SearchStrategy:
    return st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=4)


_values = st.recursive(_scalars, _collections, max_leaves=25)
_plays = st.lists(st.dictionaries(_keys, _values, max_size=5), min_size=1, max_size=3)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(plays=_plays, width=st.sampled_from([256, 256, 1 << 20, 30, 80]))
def test_generated_plays_are_written_as_pyyaml_writes_them(plays, width):
    calls: list = []
    real = playtext.dump_plays
    playtext.dump_plays = lambda *args: calls.append(args) or real(*args)  # type: ignore[assignment]
    try:
        text = play_text(plays, width)
    finally:
        playtext.dump_plays = real  # type: ignore[assignment]
    assert text == pyyaml(plays, width)
    assert not calls


# -- playbooks in the wild ---------------------------------------------------------------------------

def playbooks(*roots: Path) -> list:
    """Every YAML file under ``roots`` that loads as a non-empty list of maps (plays or tasks)."""
    found = []
    for root in roots:
        for path in sorted(root.rglob("*.y*ml")) if root.is_dir() else []:
            try:
                data = yaml.load(path.read_text(encoding="utf-8"), Loader=Loader)  # nosec - a safe loader
            except (yaml.YAMLError, UnicodeDecodeError):
                continue
            if isinstance(data, list) and data and all(isinstance(play, dict) for play in data):
                found.append(path)
    return found


def check_playbooks(paths: list, calls: list) -> None:
    assert paths
    for path in paths:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=Loader)  # nosec - a safe loader
        for width in (256, 1 << 20):
            assert play_text(data, width) == pyyaml(data, width), path
    assert not calls


def test_the_project_recipes_and_blueprints(fallbacks):
    check_playbooks(playbooks(ROOT / "recipes", ROOT / "blueprints", ROOT / "primage_tosca" / "profiles"), fallbacks)


@needs_corpus()
@pytest.mark.corpus
def test_the_corpus_playbooks(fallbacks):
    check_playbooks(playbooks(CORPUS), fallbacks)
