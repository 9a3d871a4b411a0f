"""Secrets at rest: the store keeps no secret value (not in the inputs, not in
the payload sent to IM), the data folder is 0700 and every file in it 0600,
and a folder made too open by an older version is tightened on first use."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from im_server import ROOT, im, im_server, needs_im  # noqa: F401

from primage_tosca import lifecycle
from primage_tosca.config import data_dir
from primage_tosca.lifecycle.store import Store

IMAGE = "ost://cloud.example.org/ubuntu-22.04"
TOKEN = "onedata-token-that-must-stay-off-disk-7f3a"
STORAGE = {"onedata_provider": "oneprovider.example.org", "onedata_space": "primage",
           "onedata_token": TOKEN, "image": IMAGE}



def files_under(folder: Path) -> list[Path]:
    return [Path(root) / name for root, _, names in os.walk(folder) for name in names]


def holding(folder: Path, secret: str) -> list[str]:
    """Files under ``folder`` whose bytes hold ``secret``, as written or escaped."""
    forms = {secret.encode(), secret.encode("utf-16-le"), secret.replace("-", "\\u002d").encode()}
    return [str(p) for p in files_under(folder) if any(f in p.read_bytes() for f in forms)]


def loose_modes(folder: Path) -> list[str]:
    """Folders not 0700 and files not 0600 under (and including) ``folder``."""
    found = []
    for root, folders, names in os.walk(folder):
        for path in [Path(root)] + [Path(root) / n for n in folders]:
            if stat.S_IMODE(path.stat().st_mode) != 0o700:
                found.append(f"{path} {oct(path.stat().st_mode)}")
        for name in names:
            path = Path(root) / name
            if stat.S_IMODE(path.stat().st_mode) != 0o600:
                found.append(f"{path} {oct(path.stat().st_mode)}")
    return found


@needs_im
def test_no_secret_in_any_file_after_deploy_reconfigure_undeploy(im):
    home = data_dir()
    record = lifecycle.deploy(ROOT / "blueprints" / "onedata-storage.yaml", inputs=STORAGE, roots=[ROOT],
                              contextualize=False, timeout=60)
    assert record.state == "configured"
    assert holding(home, TOKEN) == []
    assert "***" in record.payload and "onedata_token" in record.payload  # masked, not dropped
    assert loose_modes(home) == []

    result = lifecycle.reconfigure(record.id, inputs={"onedata_token": TOKEN, "mount_path": "/data/onedata"},
                                   roots=[ROOT], timeout=60)
    assert result.applied
    assert holding(home, TOKEN) == []

    lifecycle.undeploy(record.id)
    assert holding(home, TOKEN) == []
    assert loose_modes(home) == []


@needs_im
def test_tosca_payload_is_stored_masked(im):
    record = lifecycle.deploy(ROOT / "blueprints" / "onedata-storage.yaml", inputs=STORAGE, roots=[ROOT],
                              kind="tosca", contextualize=False, wait=False)
    assert TOKEN not in record.payload and "primage_tosca_deployment" in record.payload
    assert holding(data_dir(), TOKEN) == []
    lifecycle.undeploy(record.id)


@needs_im
def test_a_secret_that_cannot_be_masked_keeps_the_payload_out(im):
    short = dict(STORAGE, onedata_token="ab")  # too short to replace safely: the payload is not stored
    record = lifecycle.deploy(ROOT / "blueprints" / "onedata-storage.yaml", inputs=short, roots=[ROOT],
                              contextualize=False, timeout=60)
    assert record.payload == ""
    assert any("payload not stored" in h["detail"] for h in record.history)
    result = lifecycle.reconfigure(record.id, inputs={"onedata_token": "ab"}, roots=[ROOT], dry_run=True)
    assert not result.applied  # still plans, against the RADL IM holds
    lifecycle.undeploy(record.id)


@needs_im
def test_a_changed_secret_is_still_seen_by_reconfigure(im):
    record = lifecycle.deploy(ROOT / "blueprints" / "onedata-storage.yaml", inputs=STORAGE, roots=[ROOT],
                              contextualize=False, timeout=60)
    same = lifecycle.reconfigure(record.id, inputs={"onedata_token": TOKEN}, roots=[ROOT], dry_run=True)
    assert same.plan.empty
    rotated = lifecycle.reconfigure(record.id, inputs={"onedata_token": TOKEN + "-rotated"}, roots=[ROOT],
                                    dry_run=True)
    assert not rotated.plan.empty and any("secret" in line for line in rotated.plan.lines())
    lifecycle.undeploy(record.id)


def test_new_data_folder_and_store_are_private():
    home = data_dir()
    home.rmdir()  # the test's folder exists already: start from nothing
    Store().close()
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert loose_modes(home) == []


def test_an_open_data_folder_is_tightened_with_a_notice(caplog):
    home = data_dir()
    os.chmod(home, 0o755)
    (home / "imports").mkdir(mode=0o755)
    (home / "imports" / "cached.yaml").write_text("x: 1\n")
    os.chmod(home / "imports" / "cached.yaml", 0o644)
    with caplog.at_level(logging.WARNING, logger="primage_tosca"):
        Store().close()
    assert loose_modes(home) == []
    assert any(str(home) in r.getMessage() and "0755" in r.getMessage() for r in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="primage_tosca"):
        Store().close()
    assert caplog.records == []  # once only


@needs_im
def test_local_im_files_under_the_data_folder_are_private(tmp_path, monkeypatch):
    from primage_tosca.im.local import LocalIM

    monkeypatch.delenv("PRIMAGE_TOSCA_IM_URL", raising=False)
    monkeypatch.delenv("PRIMAGE_TOSCA_IM_AUTH", raising=False)
    try:
        record = lifecycle.deploy(ROOT / "blueprints" / "onedata-storage.yaml", inputs=STORAGE, roots=[ROOT],
                                  contextualize=False, timeout=60)
        lifecycle.undeploy(record.id)
        local = data_dir() / "local-im"
        assert {"inf.dat", "im.cfg", "auth.dat", "server.json"} <= {p.name for p in local.iterdir()}
        assert loose_modes(data_dir()) == []
        # IM's own database holds what IM needs to configure the VMs; nothing else does
        assert [p for p in holding(data_dir(), TOKEN) if not p.endswith("inf.dat")] == []
    finally:
        LocalIM().stop()


def test_an_older_store_loses_payloads_that_hold_secrets(tmp_path):
    import sqlite3

    from primage_tosca.lifecycle.store import MIGRATIONS

    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode = WAL")
    for script in MIGRATIONS[:2]:
        db.executescript(script)
    secret = "old-secret-value-9c1e"
    for ident, inputs, payload in (("a1", '{"token": "***"}', f"configure c (@begin\ntoken: {secret}\n@end)"),
                                   ("b2", '{"cpus": 2}', "system vm (cpu.count >= 2)")):
        db.execute("INSERT INTO deployments (id, name, im_url, kind, payload, inputs, state, created, updated) "
                   "VALUES (?, ?, 'u', 'radl', ?, ?, 'configured', 1, 1)", (ident, ident, payload, inputs))
    db.execute("PRAGMA user_version = 2")
    db.commit()
    db.close()
    with Store(path) as store:
        assert store.get("a1").payload == "" and store.get("b2").payload == "system vm (cpu.count >= 2)"
    assert holding(tmp_path, secret) == []


def test_the_mark_moves_no_line():
    from primage_tosca.lifecycle import mark_radl

    radl = "network public (outbound = 'yes')\nsystem vm (\ncpu.count >= 1\n)\ndeploy vm 1\n"
    for text in (radl, "description d (\nname = 'x'\n)\n" + radl, "description d ()\n" + radl):
        marked = mark_radl(text, "abc123")
        assert marked.count("\n") == text.count("\n") and "abc123" in marked.splitlines()[0]


def test_a_shared_folder_as_data_directory_keeps_its_mode_and_other_files(caplog):
    home = data_dir()
    os.chmod(home, 0o755)
    (home / "someone-elses.txt").write_text("not ours\n")
    os.chmod(home / "someone-elses.txt", 0o644)
    with caplog.at_level(logging.WARNING, logger="primage_tosca"):
        Store().close()
    assert stat.S_IMODE(home.stat().st_mode) == 0o755
    assert stat.S_IMODE((home / "someone-elses.txt").stat().st_mode) == 0o644
    assert stat.S_IMODE((home / "deployments.sqlite").stat().st_mode) == 0o600
    assert any("folder of its own" in r.getMessage() for r in caplog.records)
