"""The store under concurrent and careless use: submits in flight, names,
references, a read-only, busy or corrupt store, the local IM's pid file,
arguments checked before any side effect, IM outages while waiting, and IM's
RADL line numbers in the user's file."""

from __future__ import annotations

import http.server
import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from im_server import ROOT, im, im_server, needs_im, start_server  # noqa: F401

from primage_tosca import cli, lifecycle
from primage_tosca.config import data_dir
from primage_tosca.im.client import IMNotFound
from primage_tosca.im.local import LocalIM
from primage_tosca.lifecycle.store import Store, StoreError

BLUEPRINT = """\
tosca_definitions_version: tosca_simple_yaml_1_0
topology_template:
  node_templates:
    vm:
      type: tosca.nodes.Compute
      capabilities:
        host:
          properties: {num_cpus: 1}
"""


def blueprint(tmp_path: Path, name: str = "app.yaml") -> Path:
    path = tmp_path / name
    path.write_text(BLUEPRINT, encoding="utf-8")
    return path



def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    try:
        code = cli.main(argv)
    except SystemExit as exc:  # argparse's own usage errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


# -- a submit in flight ----------------------------------------------------------------------

@needs_im
def test_a_submit_in_flight_is_not_marked_failed(im, tmp_path):
    gate = tmp_path / "go"
    script = textwrap.dedent(f"""
        import os, time
        from pathlib import Path
        from primage_tosca.im.client import IMClient
        real = IMClient.create
        def slow(self, *args, **kwargs):
            deadline = time.time() + 60
            while not Path({str(gate)!r}).exists() and time.time() < deadline:
                time.sleep(0.05)
            return real(self, *args, **kwargs)
        IMClient.create = slow
        from primage_tosca import lifecycle
        lifecycle.deploy({str(blueprint(tmp_path))!r}, contextualize=False, wait=False)
    """)
    child = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env=dict(os.environ))
    try:
        deadline = time.time() + 30
        while time.time() < deadline and not (data_dir() / "deployments.sqlite").exists():
            time.sleep(0.05)
        while time.time() < deadline and not Store().list():
            time.sleep(0.05)
        [record] = Store().list()
        view = lifecycle.inspect(record.id)
        assert view["state"] == "submitting" and "in flight" in view.get("note", "")
        assert Store().get(record.id).state == "submitting"

        threading.Timer(1.0, gate.touch).start()
        gone = lifecycle.undeploy(record.id)  # waits for the submit, then destroys what it made
        assert gone.state == "deleted" and "destroyed" in gone.history[-1]["detail"]
        assert child.wait(timeout=60) == 0
        infra = Store().get(record.id).infra_id
        assert infra
        with pytest.raises(IMNotFound):
            lifecycle.client_for(Store().get(record.id)).state(infra)
    finally:
        gate.touch()
        child.wait(timeout=60)


@needs_im
def test_a_recent_submit_from_another_host_counts_as_in_flight(im):
    store = Store()
    record = store.create(name="elsewhere", im_url=im.url, kind="radl", payload="x", auth_path=str(im.auth_file),
                          owner="some-other-host:4242:1")
    assert lifecycle.inspect(record.id)["state"] == "submitting"
    store.db.execute("UPDATE deployments SET updated = updated - 3600 WHERE id = ?", (record.id,))
    assert lifecycle.inspect(record.id)["state"] == "failed"  # an hour old: it never got there


# -- names and references -----------------------------------------------------------------------

@needs_im
def test_a_name_in_use_is_refused_unless_replaced(im, tmp_path):
    first = lifecycle.deploy(blueprint(tmp_path), name="web", contextualize=False, timeout=60)
    with pytest.raises(lifecycle.LifecycleError, match=f"name 'web' is in use by deployment {first.id}"):
        lifecycle.deploy(blueprint(tmp_path), name="web", contextualize=False, timeout=60)
    assert Store().count() == 1
    second = lifecycle.deploy(blueprint(tmp_path), name="web", contextualize=False, timeout=60, replace=True)
    assert Store().get(first.id).state == "deleted"
    with pytest.raises(IMNotFound):
        lifecycle.client_for(Store().get(first.id)).state(first.infra_id)
    assert Store().find("web").id == second.id  # the live one; the deleted one does not compete
    lifecycle.undeploy("web")


def test_an_ambiguous_reference_lists_the_candidates(tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        a = store.create(name="twin", im_url="u", kind="radl", payload="p", id="ab120000")
        b = store.create(name="twin", im_url="u", kind="radl", payload="p", id="ab340000", check_name=False)
        with pytest.raises(StoreError) as found:
            store.find("twin")
        assert a.id in str(found.value) and b.id in str(found.value)
        with pytest.raises(StoreError) as found:
            store.find("ab")
        assert a.id in str(found.value) and b.id in str(found.value)
        assert store.find("ab12").id == a.id


@pytest.mark.parametrize("reference", ["_", "%", "a_", "__", "%%%", "\\", ""])
def test_wildcards_match_nothing(tmp_path, reference):
    with Store(tmp_path / "s.sqlite") as store:
        store.create(name="only", im_url="u", kind="radl", payload="p", id="a1b2c3d4")
        with pytest.raises(StoreError):
            store.find(reference)


def test_undeploy_of_a_wildcard_destroys_nothing(tmp_path, capsys):
    with Store() as store:
        store.create(name="keep", im_url="http://127.0.0.1:9", kind="radl", payload="p", id="c0ffee00",
                     state="configured")
    code, _, err = run_cli(["undeploy", "_"], capsys)
    assert code == 1 and "no deployment" in err
    assert Store().get("c0ffee00").state == "configured"


# -- a store that cannot be written ---------------------------------------------------------------

@pytest.fixture
def read_only_store():
    """Make the store read-only for this user: chmod, or for root (whom file
    modes do not stop) the immutable attribute."""
    path = data_dir() / "deployments.sqlite"
    files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]

    def frozen(on: bool) -> None:
        for file in (f for f in files if f.exists()):
            if os.geteuid() != 0:
                os.chmod(file, 0o400 if on else 0o600)
            elif subprocess.run(["chattr", "+i" if on else "-i", str(file)], capture_output=True).returncode:
                pytest.skip("cannot make a file read-only for root here (chattr)")
    yield frozen
    frozen(False)


@needs_im
def test_a_read_only_store_stops_undeploy_before_im(im, tmp_path, capsys, read_only_store):
    record = lifecycle.deploy(blueprint(tmp_path), contextualize=False, timeout=60)
    read_only_store(True)
    code, _, err = run_cli(["undeploy", record.id], capsys)
    assert code == 1, err
    assert "Traceback" not in err and "read-only" in err
    assert lifecycle.client_for(Store().get(record.id)).state(record.infra_id)["state"] == "configured"
    assert Store().get(record.id).state == "configured"
    read_only_store(False)
    lifecycle.undeploy(record.id)


def test_a_busy_store_is_one_clear_error(tmp_path, monkeypatch, capsys):
    from primage_tosca.lifecycle import store as store_module

    with Store() as store:
        store.create(name="held", im_url="http://127.0.0.1:9", kind="radl", payload="p", id="d00d0000",
                     state="configured")
    holder = sqlite3.connect(data_dir() / "deployments.sqlite", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        monkeypatch.setattr(store_module, "BUSY_TIMEOUT", 0.3)
        started = time.monotonic()
        code, _, err = run_cli(["undeploy", "d00d0000"], capsys)
        assert time.monotonic() - started < 10
        assert code == 1 and "busy" in err and "Traceback" not in err
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert Store().get("d00d0000").state == "configured"


def test_a_corrupt_store_is_one_clear_error(capsys):
    with Store() as store:
        for n in range(300):
            store.create(name=f"d{n}", im_url="u", kind="radl", payload="p" * 500)
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    path = data_dir() / "deployments.sqlite"
    raw = bytearray(path.read_bytes())
    raw[8192:40960] = os.urandom(32768)  # pages of the table, not the header
    path.write_bytes(bytes(raw))
    for argv in (["list"], ["inspect", "d5"], ["undeploy", "d5"]):
        code, _, err = run_cli(argv, capsys)
        assert code == 1 and "corrupt" in err and "Traceback" not in err, (argv, err)


# -- the local IM's pid file ----------------------------------------------------------------------

def test_local_im_start_on_a_taken_port_is_an_error(tmp_path, capsys):
    class Answer(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'{"version": "other"}')

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Answer)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        code, out, err = run_cli(["local-im", "start", "--port", str(port),
                                  "--python", os.environ.get("PRIMAGE_TOSCA_IM_PYTHON", sys.executable)], capsys)
        assert code == 1 and f"port {port}" in err and "in use" in err
        assert LocalIM().status().running is False
    finally:
        server.shutdown()


def test_local_im_stop_never_signals_a_stranger(capsys):
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    try:
        folder = data_dir() / "local-im"
        folder.mkdir(parents=True)
        (folder / "server.json").write_text(json.dumps({"pid": stranger.pid, "port": 1, "url": "http://127.0.0.1:1"}))
        code, out, _ = run_cli(["local-im", "status"], capsys)
        assert "not running" in out
        code, out, _ = run_cli(["local-im", "stop"], capsys)
        assert code == 0 and "not running" in out
        time.sleep(0.2)
        assert stranger.poll() is None
    finally:
        stranger.kill()
        stranger.wait()


# -- arguments before side effects -------------------------------------------------------------------

def test_deploy_of_a_missing_file_starts_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("PRIMAGE_TOSCA_IM_URL", raising=False)
    monkeypatch.delenv("PRIMAGE_TOSCA_IM_AUTH", raising=False)
    code, _, err = run_cli(["deploy", str(tmp_path / "missing.yaml")], capsys)
    assert code in (1, 2) and "missing.yaml" in err
    assert not (data_dir() / "local-im").exists()
    assert LocalIM().status().running is False


@pytest.mark.parametrize("url, message", [("", "empty"), ("ftp://127.0.0.1/im", "http"), ("http://", "host"),
                                          ("127.0.0.1:8800", "http"), ("http://127.0.0.1:99999", "port")])
def test_bad_im_urls_are_refused_before_any_record(tmp_path, capsys, url, message):
    auth = tmp_path / "auth.dat"
    auth.write_text("id = im; type = InfrastructureManager; username = u; password = p\n")
    code, _, err = run_cli(["deploy", str(blueprint(tmp_path)), "--im-url", url, "--auth", str(auth)], capsys)
    assert code == 2 and message in err and "Traceback" not in err
    assert not (data_dir() / "local-im").exists()
    assert not (data_dir() / "deployments.sqlite").exists() or Store().count() == 0


@pytest.mark.parametrize("command", ["deploy", "wait", "reconfigure"])
@pytest.mark.parametrize("value", ["-10", "nan", "inf", "0", "abc"])
def test_bad_timeouts_are_usage_errors(tmp_path, capsys, command, value):
    argv = [command, str(blueprint(tmp_path)) if command == "deploy" else "x", "--timeout", value]
    code, _, err = run_cli(argv, capsys)
    assert code == 2 and "--timeout" in err


def test_bad_timeouts_in_the_library(tmp_path):
    for value in (-10, float("nan"), float("inf")):
        with pytest.raises(lifecycle.LifecycleError, match="timeout"):
            lifecycle.deploy(blueprint(tmp_path), timeout=value, im_url="http://127.0.0.1:9", auth=None)


# -- an IM outage while waiting ---------------------------------------------------------------------------

@needs_im
def test_wait_rides_out_a_short_im_outage(tmp_path_factory, tmp_path, monkeypatch):
    server = start_server(tmp_path_factory.mktemp("im-outage"))
    try:
        monkeypatch.setenv("PRIMAGE_TOSCA_IM_URL", server.url)
        monkeypatch.setenv("PRIMAGE_TOSCA_IM_AUTH", str(server.auth_file))
        record = lifecycle.deploy(blueprint(tmp_path), contextualize=False, wait=False)
        server.stop()
        threading.Timer(8.0, server.start).start()
        started = time.monotonic()
        state = lifecycle.wait_deployment(record.id, timeout=90)
        assert state["state"] == "configured" and time.monotonic() - started >= 7
        lifecycle.undeploy(record.id)
    finally:
        time.sleep(0.1)
        server.stop()


# -- IM's line numbers --------------------------------------------------------------------------------------

BAD_RADL = """\
network public (outbound = 'yes')
system vm (
cpu.count >= 1 and and
net_interface.0.connection = 'public'
)
deploy vm 1
"""


@needs_im
@pytest.mark.parametrize("description", ["", "description d (\nname = 'x'\n)\n"])
def test_radl_syntax_errors_point_into_the_users_file(im, tmp_path, description):
    path = tmp_path / "bad.radl"
    path.write_text(description + BAD_RADL)
    line = 3 + description.count("\n")
    with pytest.raises(Exception) as found:
        lifecycle.deploy(path, timeout=30)
    message = str(found.value)
    assert f"{path}:{line}:" in message and f"Line {line}:" in message
    assert Store().list()[0].state == "failed"
