"""Unsafe or wrong archives are refused, with a clear error, and nothing is
written outside the cache (and nothing unsafe inside it)."""

from __future__ import annotations

import os
import tarfile

import pytest
from galaxy_server import (FakeGalaxy, dir_member, file_member, link_member, role_archive, tar_gz,
                           write_blueprint)

from primage_tosca.galaxy.archive import ArchiveLimits, extract_archive, inspect_archive
from primage_tosca.galaxy.cache import RecipeCache
from primage_tosca.galaxy.client import HttpSettings
from primage_tosca.galaxy.errors import ArchiveError, ChecksumMismatch
from primage_tosca.galaxy.lock import load_lock, write_lock
from primage_tosca.galaxy.operations import fetch_recipes, lock_recipes, verify_recipes
from primage_tosca.galaxy.resolve import ResolveSettings

FAST = HttpSettings(connect_timeout=2, read_timeout=5, retries=0)
TOP = "ansible-role-evil-1.0"


def device_member(name: str):
    info = tarfile.TarInfo(name)
    info.type, info.devmajor, info.devminor = tarfile.CHRTYPE, 1, 3
    return info, None


UNSAFE = {
    "dot-dot": ([file_member(f"{TOP}/../../escaped.txt", b"gotcha")], "'..' part"),
    "absolute": ([file_member("/tmp/primage-absolute.txt", b"gotcha")], "absolute path"),
    "symlink-out": ([link_member(f"{TOP}/files/passwd", "../../../etc/passwd")], "outside the archive"),
    "symlink-absolute": ([link_member(f"{TOP}/files/passwd", "/etc/passwd")], "outside the archive"),
    "hardlink-out": ([link_member(f"{TOP}/files/hard", "../outside", hard=True)], "outside the archive"),
    "hardlink-unknown": ([link_member(f"{TOP}/files/hard", "/etc/shadow", hard=True)], "outside the archive"),
    "hardlink-later": ([link_member(f"{TOP}/files/hard", f"{TOP}/later.txt", hard=True),
                        file_member(f"{TOP}/later.txt", b"x")], "not an earlier file"),
    "through-link": ([link_member(f"{TOP}/here", "."), file_member(f"{TOP}/here/x.txt", b"x")],
                     "runs through the link"),
    "device": ([device_member(f"{TOP}/null")], "device, FIFO"),
}


@pytest.fixture
def galaxy():
    server = FakeGalaxy().start()
    yield server
    server.stop()


def snapshot(*folders) -> set[str]:
    found = set()
    for folder in folders:
        for root, dirs, files in os.walk(folder):
            found.update(os.path.join(root, name) for name in dirs + files)
    return found


def cached_archives() -> list:
    cache = RecipeCache()
    return sorted(cache.archives.rglob("*")) if cache.archives.exists() else []


@pytest.mark.parametrize("case", sorted(UNSAFE))
def test_unsafe_archives_are_refused_at_lock(case, tmp_path, galaxy, _isolated_home):
    members, words = UNSAFE[case]
    galaxy.add_role("acme", "evil", {"1.0": role_archive("acme.evil", "1.0", top=TOP, extra=members)})
    project = tmp_path / "project"
    project.mkdir()
    blueprint = write_blueprint(project / "app.yaml", ["acme.evil"])
    before = snapshot(tmp_path)
    with pytest.raises(ArchiveError, match=words) as caught:
        lock_recipes([blueprint], lock_path=project / "recipes.lock", recipes_dir=project / "recipes",
                     settings=ResolveSettings(server=galaxy.url, http=FAST))
    assert "role acme.evil 1.0" in str(caught.value)
    assert snapshot(tmp_path) == before  # no lock, nothing escaped beside the project
    assert cached_archives() == []  # and nothing kept in the cache
    assert not list((RecipeCache().root / "tmp").iterdir())  # scratch space cleaned up
    assert not os.path.exists("/tmp/primage-absolute.txt")


@pytest.mark.parametrize("case", sorted(UNSAFE))
def test_unsafe_archives_are_never_extracted(case, tmp_path):
    members, words = UNSAFE[case]
    archive = tmp_path / "evil.tar.gz"
    archive.write_bytes(role_archive("acme.evil", "1.0", top=TOP, extra=members))
    before = snapshot(tmp_path)
    with pytest.raises(ArchiveError, match=words):
        extract_archive(archive, tmp_path / "out" / "acme.evil", "evil")
    assert snapshot(tmp_path) - before <= {str(tmp_path / "out")}  # at most the empty parent folder
    assert not (tmp_path / "out" / "acme.evil").exists()
    assert not (tmp_path / "escaped.txt").exists()


def test_a_safe_archive_extracts_inside_only(tmp_path):
    extra = [dir_member(f"{TOP}/files"), file_member(f"{TOP}/files/run.sh", b"#!/bin/sh\n", 0o4755),
             link_member(f"{TOP}/files/latest", "run.sh"), link_member(f"{TOP}/files/copy", f"{TOP}/files/run.sh",
                                                                       hard=True)]
    archive = tmp_path / "good.tar.gz"
    archive.write_bytes(role_archive("acme.good", "1.0", top=TOP, extra=extra))
    target = extract_archive(archive, tmp_path / "roles" / "acme.good", "good", strip_root=TOP)
    assert (target / "meta" / "main.yml").is_file() and (target / "tasks" / "main.yml").is_file()
    assert os.readlink(target / "files" / "latest") == "run.sh"
    assert (target / "files" / "copy").read_bytes() == b"#!/bin/sh\n" and not (target / "files" / "copy").is_symlink()
    assert oct((target / "files" / "run.sh").stat().st_mode & 0o7777) == "0o755"  # no setuid survives


def test_size_caps(tmp_path, galaxy):
    big = role_archive("acme.big", "1.0", top=TOP, extra=[file_member(f"{TOP}/files/blob", os.urandom(200_000))])
    with pytest.raises(ArchiveError, match="over the 100,000-byte cap"):
        inspect_archive(big, "role", "role acme.big", ArchiveLimits(max_bytes=100_000))
    bomb = role_archive("acme.bomb", "1.0", top=TOP, extra=[file_member(f"{TOP}/files/zeros", bytes(5_000_000))])
    assert len(bomb) < 50_000
    with pytest.raises(ArchiveError, match="unpacks to more than 1,000,000 bytes"):
        inspect_archive(bomb, "role", "role acme.bomb", ArchiveLimits(max_unpacked=1_000_000))
    many = role_archive("acme.many", "1.0", top=TOP, extra=[file_member(f"{TOP}/f{i}", b"") for i in range(50)])
    with pytest.raises(ArchiveError, match="more than 20 members"):
        inspect_archive(many, "role", "role acme.many", ArchiveLimits(max_members=20))
    # over the cap at download time: refused while streaming, nothing cached
    galaxy.add_role("acme", "big", {"1.0": big})
    project = tmp_path / "project"
    project.mkdir()
    blueprint = write_blueprint(project / "app.yaml", ["acme.big"])
    with pytest.raises(ArchiveError, match="cap"):
        lock_recipes([blueprint], lock_path=project / "recipes.lock", recipes_dir=project / "recipes",
                     settings=ResolveSettings(server=galaxy.url, http=FAST, limits=ArchiveLimits(max_bytes=100_000)))
    assert cached_archives() == [] and not (project / "recipes.lock").exists()


def test_not_an_archive_and_not_a_role(tmp_path):
    with pytest.raises(ArchiveError, match="not a readable tar archive"):
        inspect_archive(b"<html>rate limited</html>", "role", "role acme.x")
    no_meta = tar_gz([dir_member("x"), file_member("x/tasks/main.yml", b"[]")])
    with pytest.raises(ArchiveError, match="no meta/main.yml"):
        inspect_archive(no_meta, "role", "role acme.x")
    with pytest.raises(ArchiveError, match="no MANIFEST.json"):
        inspect_archive(no_meta, "collection", "collection acme.x")
    truncated = role_archive("acme.x", "1.0")[:-40]
    with pytest.raises(ArchiveError, match="corrupt or truncated|not a readable"):
        inspect_archive(truncated, "role", "role acme.x")


def test_fetch_checks_sha256_and_stores_nothing_wrong(tmp_path, galaxy):
    galaxy.add_role("acme", "web", {"1.0": role_archive("acme.web", "1.0")})
    project = tmp_path / "project"
    project.mkdir()
    blueprint = write_blueprint(project / "app.yaml", ["acme.web"])
    settings = ResolveSettings(server=galaxy.url, http=FAST)
    result = lock_recipes([blueprint], lock_path=project / "recipes.lock", recipes_dir=project / "recipes",
                          settings=settings)
    lock = result.resolution.lock
    entry = lock.find("role", "acme.web")
    cache = RecipeCache()
    cache.remove(entry.sha256)
    # upstream re-tagged 1.0 with other content
    galaxy.add_role("acme", "web", {"1.0": role_archive("acme.web", "1.0", ["acme.sneaky"])})
    before = snapshot(tmp_path)
    with pytest.raises(ChecksumMismatch) as caught:
        fetch_recipes(lock, cache=cache, settings=settings)
    message = str(caught.value)
    assert entry.sha256 in message and "nothing was stored" in message and "--update-recipe acme.web" in message
    assert cached_archives() == [] or not any(p.is_file() for p in cached_archives())
    assert snapshot(tmp_path) == before
    report = verify_recipes(lock, cache=cache)
    assert [item.status for item in report.items] == ["missing"] and not report.ok


def test_a_corrupted_cache_file_is_found_by_verify_and_refetched(tmp_path, galaxy):
    galaxy.add_role("acme", "web", {"1.0": role_archive("acme.web", "1.0")})
    project = tmp_path / "project"
    project.mkdir()
    blueprint = write_blueprint(project / "app.yaml", ["acme.web"])
    settings = ResolveSettings(server=galaxy.url, http=FAST)
    lock = lock_recipes([blueprint], lock_path=project / "recipes.lock", recipes_dir=project / "recipes",
                        settings=settings).resolution.lock
    cache = RecipeCache()
    path = cache.path_for(lock.find("role", "acme.web").sha256)
    path.write_bytes(b"flipped bits")
    report = verify_recipes(lock, cache=cache)
    assert report.items[0].status == "corrupt" and "recipes fetch" in report.items[0].detail
    fetched = fetch_recipes(lock, cache=cache, settings=settings)
    assert [e.name for e in fetched.fetched] == ["acme.web"]
    assert verify_recipes(lock, cache=cache).ok


def test_lock_entries_are_written_atomically(tmp_path):
    from primage_tosca.galaxy.lock import Lock, LockEntry

    lock = Lock("https://galaxy.ansible.com")
    lock.entries[("role", "a.b")] = LockEntry("a.b", "role", "galaxy", ["a.b"], "1.0",
                                               "https://example.org/a.tar.gz", "a" * 64)
    path = write_lock(lock, tmp_path / "recipes.lock")
    assert load_lock(path).find("role", "a.b").version == "1.0"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["recipes.lock"]
