"""recipes.lock: read back strictly, nonsense refused with file:line:col,
and pin_spec (what the RADL compiler calls) standalone."""

from __future__ import annotations

import pytest

from primage_tosca.galaxy.errors import LockError, SpecError, StaleLock
from primage_tosca.galaxy.lock import Lock, LockEntry, load_lock, loads_lock, pin_spec, write_lock

SHA = "a" * 64
COMMIT = "3f" * 20

GOOD = f"""\
lock_version: 1
server: https://galaxy.ansible.com
recipes:
- name: indigo-dc.nfs
  kind: role
  source: galaxy
  requested: [indigo-dc.nfs, "indigo-dc.nfs,1.2.0"]
  version: 1.2.0
  url: https://github.com/indigo-dc/ansible-role-nfs/archive/1.2.0.tar.gz
  commit: {COMMIT}
  sha256: {SHA}
  size: 1024
  dependencies: [indigo-dc.common]
- name: indigo-dc.common
  kind: role
  source: galaxy
  requested: [indigo-dc.common]
  version: '0.1'
  url: https://example.org/common-0.1.tar.gz
  sha256: {"b" * 64}
  dependencies: []
- name: ansible-role-docker
  kind: role
  source: git
  requested: ["git+https://github.com/indigo-dc/ansible-role-docker.git,deep-dev"]
  version: deep-dev
  url: git+https://github.com/indigo-dc/ansible-role-docker.git
  commit: {COMMIT}
  sha256: {"c" * 64}
- name: web
  kind: role
  source: url
  requested: ["https://example.org/web.tar.gz|web"]
  version: null
  url: https://example.org/web.tar.gz
  sha256: {"d" * 64}
- name: community.general
  kind: collection
  source: galaxy
  requested: ["community.general,>=7.0.0"]
  version: 7.5.0
  url: https://galaxy.ansible.com/download/community-general-7.5.0.tar.gz
  sha256: {"e" * 64}
  dependencies: []
"""


@pytest.fixture
def lock():
    return loads_lock(GOOD, "recipes.lock")


def test_a_good_lock_round_trips(tmp_path, lock):
    assert len(lock) == 5
    path = write_lock(lock, tmp_path / "recipes.lock")
    again = load_lock(path)
    assert again.as_dict() == lock.as_dict()
    text = path.read_text()
    assert text.startswith("# recipes.lock") and "version: '0.1'" in text  # a version stays a string
    order = [e.name for e in again.ordered()]
    assert order.index("indigo-dc.common") < order.index("indigo-dc.nfs")  # dependencies first


def broken(old: str, new: str) -> str:
    assert old in GOOD, old
    return GOOD.replace(old, new, 1)


NONSENSE = [
    ("not yaml", "lock_version: 1\nrecipes: [\n", "not readable YAML"),
    ("a list", "- 1\n- 2\n", "must be a mapping"),
    ("wrong version", broken("lock_version: 1", "lock_version: 7"), "lock_version must be 1"),
    ("unknown top key", GOOD + "extra: 1\n", "unknown key 'extra'"),
    ("no server", broken("server: https://galaxy.ansible.com", "server: 42"), "'server' must be"),
    ("recipes not a list", broken("recipes:\n", "recipes: {}\nx:\n"), "unknown key 'x'"),
    ("entry not a mapping", broken("recipes:\n", "recipes:\n- just a string\n"), "recipes[0] must be a mapping"),
    ("bad kind", broken("kind: role", "kind: playbook"), "kind must be role or collection"),
    ("bad source", broken("source: galaxy", "source: ftp"), "source must be galaxy, git or url"),
    ("bad sha", broken(f"sha256: {SHA}", "sha256: deadbeef"), "sha256 must be 64 lower-case hexadecimal"),
    ("upper sha", broken(f"sha256: {SHA}", f"sha256: {'A' * 64}"), "sha256 must be 64"),
    ("missing sha", broken(f"  sha256: {SHA}\n", ""), "has no 'sha256'"),
    ("number version", broken("version: 1.2.0", "version: 1.2"), "must be a quoted string"),
    ("bad size", broken("size: 1024", "size: -5"), "size must be a whole number"),
    ("bad commit", broken(f"commit: {COMMIT}", "commit: not-a-commit"), "commit must be a hexadecimal"),
    ("bad url", broken("url: https://github.com/indigo-dc", "url: ftp://github.com/indigo-dc"), "url must be"),
    ("git url on galaxy", broken("url: https://github.com/indigo-dc/ansible-role-nfs",
                                 "url: git+https://github.com/indigo-dc/ansible-role-nfs"), "cannot have the url"),
    ("typo key", broken("  size: 1024", "  sizee: 1024"), "unknown key 'sizee'"),
    ("requested empty", broken('requested: [indigo-dc.nfs, "indigo-dc.nfs,1.2.0"]', "requested: []"),
     "requested must be a non-empty list"),
    ("requested other", broken('requested: [indigo-dc.nfs, "indigo-dc.nfs,1.2.0"]', "requested: [acme.other]"),
     "names acme.other, not indigo-dc.nfs"),
    ("requested malformed", broken('requested: [indigo-dc.nfs, "indigo-dc.nfs,1.2.0"]', "requested: ['nfs,']"),
     "malformed recipe spec"),
    ("dangling dependency", broken("dependencies: [indigo-dc.common]", "dependencies: [indigo-dc.gone]"),
     "depends on role indigo-dc.gone, which is not in the lock"),
    ("duplicate", GOOD + GOOD[GOOD.index("- name: web"):GOOD.index("- name: community")], "listed twice"),
]


@pytest.mark.parametrize("text, words", [(t, w) for _, t, w in NONSENSE], ids=[n for n, _, _ in NONSENSE])
def test_a_lock_edited_into_nonsense_is_refused(tmp_path, text, words):
    path = tmp_path / "recipes.lock"
    path.write_text(text)
    with pytest.raises(LockError) as caught:
        load_lock(path)
    message = str(caught.value)
    assert words in message
    assert message.startswith(f"{path}:")  # file:line:col of the nonsense
    assert "recipes lock" in message  # and how to get a good one back


def test_the_position_points_at_the_bad_value(tmp_path):
    path = tmp_path / "recipes.lock"
    path.write_text(broken(f"sha256: {SHA}", "sha256: nope"))
    with pytest.raises(LockError) as caught:
        load_lock(path)
    line = GOOD.splitlines().index(f"  sha256: {SHA}") + 1
    assert caught.value.origin == f"{path}:{line}:11"


def test_a_missing_lock_names_the_command(tmp_path):
    with pytest.raises(LockError, match=r"no lock file .* recipes lock BLUEPRINT"):
        load_lock(tmp_path / "recipes.lock")
    assert load_lock(tmp_path / "recipes.lock", required=False) is None


# -- pin_spec ------------------------------------------------------------------------------------


def test_pin_spec_adds_the_locked_version(lock):
    assert pin_spec("indigo-dc.nfs", lock) == "indigo-dc.nfs,1.2.0"
    assert pin_spec(" indigo-dc.nfs,1.2.0 ", lock) == "indigo-dc.nfs,1.2.0"
    assert pin_spec("indigo-dc.common", lock) == "indigo-dc.common,0.1"
    assert pin_spec("git+https://github.com/indigo-dc/ansible-role-docker.git,deep-dev", lock) == \
        f"git+https://github.com/indigo-dc/ansible-role-docker.git,{COMMIT}"
    assert pin_spec("https://example.org/web.tar.gz|web", lock) == "https://example.org/web.tar.gz|web"
    assert pin_spec("community.general", lock, kind="collection") == "community.general,7.5.0"
    assert pin_spec("community.general,>=7.0.0", lock, kind="collection") == "community.general,7.5.0"


def test_pin_spec_refuses_what_the_lock_does_not_cover(lock):
    with pytest.raises(StaleLock, match="indigo-dc.slurm .* is not in the lock file .*recipes lock"):
        pin_spec("indigo-dc.slurm", lock)
    with pytest.raises(StaleLock, match="pins 2.0.0 but the lock has indigo-dc.nfs 1.2.0"):
        pin_spec("indigo-dc.nfs,2.0.0", lock)
    with pytest.raises(StaleLock, match="does not match"):
        pin_spec("community.general,>=8.0.0", lock, kind="collection")
    with pytest.raises(StaleLock, match="git source but the lock has"):
        pin_spec("git+https://github.com/acme/indigo-dc.nfs|indigo-dc.nfs", lock)
    with pytest.raises(SpecError):
        pin_spec("nfs", lock)


def test_pin_spec_keeps_a_renamed_git_role_unpinned():
    """IM's grammar drops the name when a version follows, so a git role
    installed under another name cannot carry its commit."""
    lock = Lock("https://galaxy.ansible.com")
    lock.entries[("role", "grycap.im")] = LockEntry(
        "grycap.im", "role", "git", ["git+https://github.com/grycap/ansible-role-im|grycap.im"], "HEAD",
        "git+https://github.com/grycap/ansible-role-im", SHA, commit=COMMIT)
    spec = "git+https://github.com/grycap/ansible-role-im|grycap.im"
    assert pin_spec(spec, lock) == spec
