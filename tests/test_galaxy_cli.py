"""``recipes`` commands end to end through argparse, against the local
Galaxy: text and JSON output, exit codes, and no network once locked."""

from __future__ import annotations

import argparse
import json
import socket

import pytest
from galaxy_server import FakeGalaxy, collection_archive, role_archive, write_blueprint

from primage_tosca import cli, cli_recipes


@pytest.fixture
def galaxy():
    server = FakeGalaxy().start()
    server.add_role("acme", "app", {v: role_archive("acme.app", v, ["acme.base"]) for v in ("1.0.0", "1.1.0")})
    server.add_role("acme", "base", {"0.3": role_archive("acme.base", "0.3")})
    server.add_collection("acme", "tools", {"2.0.0": collection_archive("acme", "tools", "2.0.0")})
    yield server
    server.stop()


@pytest.fixture
def project(tmp_path, monkeypatch, galaxy):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PRIMAGE_TOSCA_GALAXY_SERVER", galaxy.url)
    write_blueprint(tmp_path / "app.yaml", ["acme.app"], ["acme.tools"])
    return tmp_path


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="primage-tosca")
    commands = top.add_subparsers(dest="command")
    cli_recipes.add_commands(commands)
    return top


def run(capsys, *argv: str) -> tuple[int, str, str]:
    args = parser().parse_args(["recipes", *argv])
    code = args.handler(args)
    out, err = capsys.readouterr()
    return code, out, err


def no_network(monkeypatch):
    def refuse(self, address):
        raise AssertionError(f"network use: connect to {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)


def test_list_shows_where_each_recipe_is_asked_for(project, capsys):
    code, out, _ = run(capsys, "list", "app.yaml")
    assert code == 0
    assert "app.yaml:" in out and "role acme.app  (node type test.App0, artifact recipe)" in out
    assert "collection acme.tools" in out
    code, out, _ = run(capsys, "list", "app.yaml", "--json")
    data = json.loads(out)
    assert data["ok"] and {r["name"] for r in data["recipes"]} == {"acme.app", "acme.tools"}
    origin = data["recipes"][0]["origin"]
    assert origin.startswith("app.yaml:") and origin.count(":") == 2


def test_lock_fetch_verify_requirements(project, capsys, galaxy):
    code, out, err = run(capsys, "lock", "app.yaml")
    assert code == 0, err
    assert "wrote" in out and "3 recipe(s); 3 added" in out
    assert (project / "recipes.lock").is_file()
    code, out, _ = run(capsys, "lock", "app.yaml", "--json")
    data = json.loads(out)
    assert data["ok"] and not data["written"] and data["requests"] == 0
    names = [r["name"] for r in data["recipes"]]
    assert sorted(names) == ["acme.app", "acme.base", "acme.tools"] and names.index("acme.base") < names.index("acme.app")
    code, out, _ = run(capsys, "fetch")
    assert code == 0 and "fetched 0 archive(s), 3 already cached" in out
    code, out, _ = run(capsys, "verify", "app.yaml")
    assert code == 0 and out.strip().endswith("OK: 3 of 3 archive(s) verified")
    code, out, _ = run(capsys, "requirements", "-o", "requirements.yml")
    assert code == 0 and "3 pinned requirement(s)" in out
    text = (project / "requirements.yml").read_text()
    assert "src: acme.app\n  version: 1.1.0" in text and f"source: {galaxy.url}" in text
    code, out, _ = run(capsys, "requirements", "--from-cache", "--json")
    data = json.loads(out)
    assert data["requirements"]["roles"][0]["src"].endswith(".tar.gz")
    assert data["requirements"]["collections"][0]["type"] == "file"


def test_once_locked_nothing_touches_the_network(project, capsys, _isolated_home):
    assert run(capsys, "lock", "app.yaml")[0] == 0
    cache = _isolated_home / "recipes" / "archives"
    for archive in cache.rglob("*.tar.gz"):
        archive.unlink()  # a fresh clone of the project: lock committed, cache empty
    with pytest.MonkeyPatch.context() as offline:
        no_network(offline)
        assert run(capsys, "list", "app.yaml")[0] == 0
        code, out, _ = run(capsys, "lock", "app.yaml")
        assert code == 0 and "0 network request(s)" in out
        code, out, _ = run(capsys, "verify", "app.yaml")
        assert code == 1 and out.count("missing") == 3 and "recipes fetch" in out
        code, out, err = run(capsys, "requirements", "--from-cache")
        assert code == 1 and out == ""
        assert "role acme.app 1.1.0 is missing in the cache" in err and "run `primage-tosca recipes fetch`" in err
        code, _, err = run(capsys, "fetch", "--offline")
        assert code == 1 and "--offline" in err
    # fetch is the command that fixes it, and the one that may use the network
    code, out, _ = run(capsys, "fetch")
    assert code == 0 and "fetched 3 archive(s)" in out
    assert str(_isolated_home) in out
    with pytest.MonkeyPatch.context() as offline:
        no_network(offline)
        assert run(capsys, "requirements", "--from-cache", "-o", "req.yml")[0] == 0
        assert run(capsys, "verify")[0] == 0


def test_a_blueprint_the_lock_does_not_cover(project, capsys):
    assert run(capsys, "lock", "app.yaml")[0] == 0
    write_blueprint(project / "more.yaml", ["acme.app", "acme.other"])
    code, out, _ = run(capsys, "verify", "more.yaml")
    assert code == 1 and "stale" in out and "acme.other" in out
    code, _, err = run(capsys, "requirements", "more.yaml")
    assert code == 1 and "role acme.other (acme.other) is not in the lock file" in err and "more.yaml:" in err


def test_errors_exit_1_with_the_reason(project, capsys):
    write_blueprint(project / "bad.yaml", ["acme.app,", "acme.ghost"])
    code, out, err = run(capsys, "list", "bad.yaml")
    assert code == 1 and "version after ',' is empty" in out
    code, out, err = run(capsys, "lock", "bad.yaml", "--json")
    assert code == 1 and json.loads(out)["ok"] is False and "cannot collect the recipes" in err
    write_blueprint(project / "ghost.yaml", ["acme.ghost"])
    code, out, err = run(capsys, "lock", "ghost.yaml", "--lock", "ghost.lock")
    assert code == 1 and "role acme.ghost was not found on" in err and "ghost.yaml:" in err
    assert not (project / "ghost.lock").exists()
    (project / "recipes.lock").write_text("lock_version: 1\nserver: 5\n")
    code, out, err = run(capsys, "verify")
    assert code == 1 and "recipes.lock:2:9: 'server' must be the Galaxy server URL" in err
    code, out, err = run(capsys, "fetch", "--lock", "nothing.lock")
    assert code == 1 and "there is no lock file nothing.lock" in err and "recipes lock BLUEPRINT" in err


def test_the_server_option_wins_over_the_environment(project, capsys, galaxy, monkeypatch):
    monkeypatch.setenv("PRIMAGE_TOSCA_GALAXY_SERVER", "http://127.0.0.1:9")
    code, _, err = run(capsys, "lock", "app.yaml", "--retries", "0")
    assert code == 1 and "127.0.0.1:9" in err
    assert run(capsys, "lock", "app.yaml", "--server", galaxy.url)[0] == 0


def test_usage_errors():
    with pytest.raises(SystemExit):
        parser().parse_args(["recipes", "list"])  # a blueprint is required
    args = parser().parse_args(["recipes", "lock", "x.yaml", "--jobs", "0"])
    with pytest.raises(cli.UsageError, match="--jobs"):
        args.handler(args)


def _wired() -> bool:
    import contextlib
    import io

    try:
        with contextlib.redirect_stderr(io.StringIO()):
            cli.build_parser().parse_args(["recipes", "list", "x.yaml"])
    except SystemExit:
        return False
    return True


@pytest.mark.parametrize("module", ["primage_tosca.cli_recipes", "primage_tosca"])
def test_the_command_line_entry_points(module, project):
    import subprocess
    import sys

    if module == "primage_tosca" and not _wired():
        pytest.skip("`recipes` is not wired into primage_tosca.cli yet")
    prefix = ["recipes"]
    done = subprocess.run([sys.executable, "-m", module, *prefix, "list", "app.yaml", "--json"], cwd=project,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert {r["name"] for r in json.loads(done.stdout)["recipes"]} == {"acme.app", "acme.tools"}
    done = subprocess.run([sys.executable, "-m", module, *prefix, "lock", "app.yaml", "--jobs", "0"], cwd=project,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "--jobs" in done.stderr


APP_2_0 = """\
tosca_definitions_version: tosca_2_0
imports:
  - profile: org.oasis-open.simple:2.0
  - profile: eu.primage.types:1.0
node_types:
  test.App0:
    derived_from: SoftwareComponent
    artifacts:
      recipe: { file: acme.app, type: tosca.artifacts.AnsibleGalaxy.role }
  test.App1:
    derived_from: SoftwareComponent
    artifacts:
      recipe: { file: acme.tools, type: tosca.artifacts.AnsibleGalaxy.collection }
service_template:
  node_templates:
    vm: { type: Compute }
    app0: { type: test.App0, requirements: [ host: vm ] }
    app1: { type: test.App1, requirements: [ host: vm ] }
"""


def test_a_2_0_blueprint_locks_the_recipes_of_its_1_x_twin(project, capsys):
    (project / "app-2.0.yaml").write_text(APP_2_0, encoding="utf-8")
    code, out, _ = run(capsys, "list", "app-2.0.yaml", "--json")
    assert code == 0 and {r["name"] for r in json.loads(out)["recipes"]} == {"acme.app", "acme.tools"}
    assert run(capsys, "lock", "app.yaml", "--lock", "one.lock")[0] == 0
    code, _, err = run(capsys, "lock", "app-2.0.yaml", "--lock", "two.lock")
    assert code == 0, err
    assert (project / "two.lock").read_text() == (project / "one.lock").read_text()
