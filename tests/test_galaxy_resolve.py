"""Resolving online into a lock: version choice, dependencies, conflicts,
errors, collections, git and URL roles, and reuse of an existing lock."""

from __future__ import annotations

import socket

import pytest
from galaxy_server import (FakeGalaxy, collection_archive, git_role_repository, role_archive, write_blueprint)

from primage_tosca.galaxy.cache import RecipeCache
from primage_tosca.galaxy.client import HttpSettings
from primage_tosca.galaxy.errors import ConflictError, NetworkRefused, NotFound, RecipeErrors, VersionNotFound
from primage_tosca.galaxy.lock import load_lock
from primage_tosca.galaxy.operations import lock_recipes
from primage_tosca.galaxy.resolve import ResolveSettings

FAST = HttpSettings(connect_timeout=2, read_timeout=5, retries=1, backoff=0.01)


@pytest.fixture
def galaxy():
    server = FakeGalaxy(page_size=2).start()
    yield server
    server.stop()


@pytest.fixture
def project(tmp_path):
    (tmp_path / "recipes").mkdir()
    return tmp_path


def settings(galaxy: FakeGalaxy, **kwargs) -> ResolveSettings:
    return ResolveSettings(server=galaxy.url, jobs=8, http=FAST, **kwargs)


def lock(project, galaxy, roles=(), collections=(), **kwargs):
    blueprint = write_blueprint(project / "app.yaml", list(roles), list(collections))
    return lock_recipes([blueprint], lock_path=project / "recipes.lock", recipes_dir=project / "recipes",
                        settings=kwargs.pop("settings", None) or settings(galaxy), **kwargs)


def entries(result):
    return {entry.name: entry for entry in result.resolution.lock.entries.values()}


def test_pinned_else_highest_else_default_branch(project, galaxy):
    galaxy.add_role("acme", "pinned", {v: role_archive("acme.pinned", v) for v in ("1.0.0", "2.0.0")})
    galaxy.add_role("acme", "highest", {v: role_archive("acme.highest", v) for v in ("1.2.0", "1.10.0", "1.9.9")})
    result = lock(project, galaxy, roles=["acme.pinned,1.0.0", "acme.highest"])
    found = entries(result)
    assert found["acme.pinned"].version == "1.0.0"
    assert found["acme.highest"].version == "1.10.0"
    written = load_lock(project / "recipes.lock")
    assert {e.name: e.version for e in written.entries.values()} == {n: e.version for n, e in found.items()}
    for entry in written.entries.values():
        assert len(entry.sha256) == 64 and entry.url.startswith(galaxy.url) and entry.requested


def test_default_branch_and_github_archive_urls(project, galaxy, monkeypatch):
    """With no versions the default branch is taken (master when none is
    named), and like ansible-galaxy, master is accepted even when versions
    exist; with no download_url the archive is GitHub's (not fetched here)."""
    from primage_tosca.galaxy.errors import GalaxyError
    from primage_tosca.galaxy.resolve import Resolver

    galaxy.add_role("acme", "branchy", {}, github_branch="develop", with_download_url=False)
    galaxy.add_role("acme", "tipped", {}, github_branch=None, with_download_url=False)
    galaxy.add_role("acme", "listed", {"1.0": role_archive("acme.listed", "1.0")}, with_download_url=False)
    asked = []

    def record(self, url, kind, label, expected_sha256=None):
        asked.append(url)
        raise GalaxyError(f"{label}: not downloading {url} in a test")

    monkeypatch.setattr(Resolver, "_download", record)
    with pytest.raises(RecipeErrors):
        lock(project, galaxy, roles=["acme.branchy", "acme.tipped", "acme.listed,master"])
    assert sorted(asked) == ["https://github.com/acme/ansible-role-branchy/archive/develop.tar.gz",
                             "https://github.com/acme/ansible-role-listed/archive/master.tar.gz",
                             "https://github.com/acme/ansible-role-tipped/archive/master.tar.gz"]
    assert not (project / "recipes.lock").exists()


def test_dependencies_are_followed_recursively(project, galaxy):
    galaxy.add_role("acme", "app", {"1.0": role_archive("acme.app", "1.0", ["acme.middle"])})
    galaxy.add_role("acme", "middle", {"2.0": role_archive("acme.middle", "2.0",
                                                          [{"role": "acme.base", "version": "0.5"}, "common"])})
    galaxy.add_role("acme", "base", {v: role_archive("acme.base", v) for v in ("0.5", "0.6")})
    result = lock(project, galaxy, roles=["acme.app"])
    found = entries(result)
    assert found["acme.app"].dependencies == ["acme.middle"]
    assert found["acme.middle"].dependencies == ["acme.base"]
    assert found["acme.base"].version == "0.5"  # the dependency's pin wins over "highest"
    order = [entry.name for entry in result.resolution.lock.ordered()]
    assert order.index("acme.base") < order.index("acme.middle") < order.index("acme.app")
    warnings = [str(f) for f in result.resolution.findings]
    assert any("'common' is neither a local role nor a Galaxy name" in w for w in warnings)


def test_two_pinned_versions_is_a_conflict_naming_both_askers(project, galaxy):
    galaxy.add_role("acme", "slurm", {v: role_archive("acme.slurm", v) for v in ("master", "cons_res")})
    with pytest.raises(ConflictError) as caught:
        lock(project, galaxy, roles=["acme.slurm,master", "acme.slurm,cons_res"])
    message = str(caught.value)
    assert "pinned to different versions" in message
    assert "master (asked for by " in message and "cons_res (asked for by " in message
    assert "app.yaml:" in message and "node type test.App0" in message and "node type test.App1" in message
    assert not (project / "recipes.lock").exists()
    assert galaxy.log == []  # a conflict between requests needs no server


def test_a_dependency_pin_that_conflicts_with_the_blueprint(project, galaxy):
    galaxy.add_role("acme", "app", {"1.0": role_archive("acme.app", "1.0", [{"role": "acme.base", "version": "1"}])})
    galaxy.add_role("acme", "base", {v: role_archive("acme.base", v) for v in ("1", "2")})
    with pytest.raises(ConflictError, match=r"acme.base is pinned to different versions.*dependency"):
        lock(project, galaxy, roles=["acme.app", "acme.base,2"])


def test_unknown_role(project, galaxy):
    with pytest.raises(NotFound, match=rf"role acme.ghost was not found on {galaxy.url}") as caught:
        lock(project, galaxy, roles=["acme.ghost"])
    assert "app.yaml:" in str(caught.value)  # where it was asked for
    assert not (project / "recipes.lock").exists()


def test_version_not_found_lists_what_there_is(project, galaxy):
    galaxy.add_role("acme", "web", {v: role_archive("acme.web", v) for v in ("1.0", "1.1")})
    with pytest.raises(VersionNotFound, match=r"version 9.9 of role acme.web was not found .* it has 1.1, 1.0"):
        lock(project, galaxy, roles=["acme.web,9.9"])


def test_several_failures_are_reported_together(project, galaxy):
    with pytest.raises(RecipeErrors) as caught:
        lock(project, galaxy, roles=["acme.one", "acme.two"])
    assert len(caught.value.errors) == 2 and "acme.one" in str(caught.value) and "acme.two" in str(caught.value)


def test_collections_with_ranges_dependencies_and_server_checksums(project, galaxy):
    galaxy.add_collection("acme", "tools", {v: collection_archive("acme", "tools", v, {"acme.base": ">=1.0.0"})
                                            for v in ("1.0.0", "1.5.0", "2.0.0")},
                          {v: {"acme.base": ">=1.0.0,<2.0.0"} for v in ("1.0.0", "1.5.0", "2.0.0")})
    galaxy.add_collection("acme", "base", {v: collection_archive("acme", "base", v) for v in ("0.9.0", "1.3.0", "2.0.0")})
    result = lock(project, galaxy, collections=["acme.tools,<2.0.0"])
    found = entries(result)
    assert found["acme.tools"].version == "1.5.0"
    assert found["acme.base"].version == "1.3.0"
    assert found["acme.tools"].kind == "collection" and found["acme.tools"].dependencies == ["acme.base"]


def test_a_collection_whose_archive_does_not_match_the_server_checksum(project, galaxy):
    collection = galaxy.add_collection("acme", "tools", {"1.0.0": collection_archive("acme", "tools", "1.0.0")})
    collection.sha256_override["1.0.0"] = "0" * 64
    with pytest.raises(Exception, match="but the server says 0000"):
        lock(project, galaxy, collections=["acme.tools"])
    assert not list((RecipeCache().archives).rglob("*.tar.gz")) if RecipeCache().archives.exists() else True


def test_url_and_git_roles(project, galaxy, tmp_path):
    galaxy.files["/files/web-1.0.tar.gz"] = role_archive("web", "1.0")
    bare = git_role_repository(tmp_path / "git", "ansible-role-docker", {"v1": None, "deep-dev": ["acme.base"]})
    galaxy.folders["/git/ansible-role-docker.git"] = bare
    galaxy.add_role("acme", "base", {"1.0": role_archive("acme.base", "1.0")})
    result = lock(project, galaxy, roles=[f"{galaxy.url}/files/web-1.0.tar.gz|web",
                                          f"git+{galaxy.url}/git/ansible-role-docker.git,deep-dev"])
    found = entries(result)
    assert found["web"].source == "url" and found["web"].url == f"{galaxy.url}/files/web-1.0.tar.gz"
    docker = found["ansible-role-docker"]
    assert docker.source == "git" and docker.version == "deep-dev" and len(docker.commit) == 40
    assert docker.dependencies == ["acme.base"]
    # the archive built from git does not depend on when or with which git it was built
    first = docker.sha256
    (project / "recipes.lock").unlink()
    again = entries(lock(project, galaxy, roles=[f"{galaxy.url}/files/web-1.0.tar.gz|web",
                                                 f"git+{galaxy.url}/git/ansible-role-docker.git,deep-dev"]))
    assert again["ansible-role-docker"].sha256 == first


def test_a_satisfied_lock_is_kept_with_no_network(project, galaxy, monkeypatch):
    galaxy.add_role("acme", "app", {"1.0": role_archive("acme.app", "1.0", ["acme.base"])})
    galaxy.add_role("acme", "base", {"1.0": role_archive("acme.base", "1.0")})
    first = lock(project, galaxy, roles=["acme.app"])
    text = (project / "recipes.lock").read_text()
    galaxy.add_role("acme", "app", {"1.0": role_archive("acme.app", "1.0"), "2.0": role_archive("acme.app", "2.0")})

    def refuse(*args, **kwargs):
        raise AssertionError("the network was used")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    second = lock(project, galaxy, roles=["acme.app"])
    assert second.resolution.requests_made == 0 and not second.written
    assert (project / "recipes.lock").read_text() == text
    assert sorted(second.resolution.kept) == sorted(first.resolution.added)


def test_update_and_new_requests_go_online(project, galaxy):
    galaxy.add_role("acme", "app", {"1.0": role_archive("acme.app", "1.0")})
    lock(project, galaxy, roles=["acme.app"])
    galaxy.add_role("acme", "app", {"1.0": role_archive("acme.app", "1.0"), "2.0": role_archive("acme.app", "2.0")})
    galaxy.add_role("acme", "extra", {"0.1": role_archive("acme.extra", "0.1")})
    grown = lock(project, galaxy, roles=["acme.app", "acme.extra"])
    assert grown.resolution.added == [("role", "acme.extra")]
    assert entries(grown)["acme.app"].version == "1.0"  # kept as locked
    updated = lock(project, galaxy, roles=["acme.app", "acme.extra"], update=["acme.app"])
    assert updated.resolution.changed == [("role", "acme.app")]
    assert entries(updated)["acme.app"].version == "2.0"
    shrunk = lock(project, galaxy, roles=["acme.app"])
    assert shrunk.resolution.removed == [("role", "acme.extra")]


def test_offline_lock_refuses_to_resolve_what_is_missing(project, galaxy):
    with pytest.raises(NetworkRefused, match="--offline"):
        lock(project, galaxy, roles=["acme.app"], settings=settings(galaxy, offline=True))
    assert galaxy.log == []


def test_requests_run_concurrently(project, galaxy):
    galaxy.delay = 0.1
    for index in range(8):
        galaxy.add_role("acme", f"r{index}", {"1.0": role_archive(f"acme.r{index}", "1.0")})
    result = lock(project, galaxy, roles=[f"acme.r{index}" for index in range(8)])
    # 1 root + 8 x (lookup, versions, archive) = 25 requests of 0.1 s; sequentially 2.5 s
    assert result.resolution.requests_made == 25
    assert result.resolution.seconds < 1.2


def _files(*folders) -> dict:
    import os

    found = {}
    for folder in folders:
        for root, _, names in os.walk(folder):
            for name in names:
                path = os.path.join(root, name)
                found[path] = open(path, "rb").read()
    return found


@pytest.mark.parametrize("roles, error", [
    (["acme.web,"], "cannot collect the recipes"),  # malformed spec
    (["acme.ghost"], "was not found"),  # unknown role
    (["acme.web,9.9"], "was not found on"),  # version not found
    (["acme.web,1.0", "acme.web,1.1"], "pinned to different versions"),  # conflict
])
def test_bad_input_writes_nothing(project, galaxy, roles, error, _isolated_home):
    from primage_tosca.galaxy.errors import RecipeError

    galaxy.add_role("acme", "web", {v: role_archive("acme.web", v) for v in ("1.0", "1.1")})
    lock(project, galaxy, roles=["acme.web,1.0"])  # an existing, good lock and cache
    write_blueprint(project / "app.yaml", roles)
    before = _files(project, _isolated_home)
    with pytest.raises(RecipeError, match=error):
        lock_recipes([project / "app.yaml"], lock_path=project / "recipes.lock", recipes_dir=project / "recipes",
                     settings=settings(galaxy))
    assert _files(project, _isolated_home) == before  # the lock and the cache are as they were


def test_a_broken_lock_is_an_error_until_update_replaces_it(project, galaxy):
    from primage_tosca.galaxy.errors import LockError

    galaxy.add_role("acme", "web", {"1.0": role_archive("acme.web", "1.0")})
    (project / "recipes.lock").write_text("lock_version: 1\nserver: https://x\nrecipes: [{name: 1}]\n")
    with pytest.raises(LockError, match=r"recipes\[0\].*--update"):
        lock(project, galaxy, roles=["acme.web"])
    result = lock(project, galaxy, roles=["acme.web"], update=True)
    assert result.written and load_lock(project / "recipes.lock").find("role", "acme.web").version == "1.0"
