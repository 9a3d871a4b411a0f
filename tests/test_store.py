"""The local deployment store: schema versions, masking, paging, two writers."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap

from primage_tosca.lifecycle.store import MIGRATIONS, SCHEMA_VERSION, Store, mask_inputs


def test_secret_inputs_are_masked():
    masked = mask_inputs({"admin_token": "t", "db_password": "p", "ssh_key": "k", "cpus": 2, "note": "n"},
                         {"note": {"type": "string", "metadata": {"secret": True}}})
    assert masked == {"admin_token": "***", "db_password": "***", "ssh_key": "***", "cpus": 2, "note": "***"}


def test_migrates_forward_from_version_1(tmp_path):
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0])
    db.execute("INSERT INTO deployments VALUES ('a1', 'old', 'http://127.0.0.1:1', NULL, 'radl', NULL, NULL, 'p',"
               " '{}', NULL, 'configured', 1.0, 1.0)")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    with Store(path) as store:
        assert store.version == SCHEMA_VERSION
        record = store.get("a1")
        assert record.name == "old" and record.outputs == {}
        names = {row[0] for row in store.db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert "deployments_created" in names


def test_history_and_paging(tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        ids = [store.create(name=f"d{n}", im_url="u", kind="radl", payload="p").id for n in range(7)]
        store.update(ids[0], state="submitted", infra_id="inf-0", detail="sent")
        assert [h["state"] for h in store.get(ids[0]).history] == ["submitting", "submitted"]
        assert store.find("inf-0").id == ids[0] and store.find("d3").id == ids[3]
        first, second = store.list(limit=4), store.list(limit=4, offset=4)
        assert len(first) == 4 and len(second) == 3
        assert {r.id for r in first + second} == set(ids)
        query = store.db.execute("EXPLAIN QUERY PLAN SELECT id FROM deployments ORDER BY created DESC, id "
                                 "LIMIT 50").fetchall()
        assert any("deployments_created" in str(row) for row in query)


def test_two_processes_write_at_once(tmp_path):
    path = tmp_path / "shared.sqlite"
    Store(path).close()
    writer = textwrap.dedent(f"""
        import sys
        from primage_tosca.lifecycle.store import Store
        store = Store({str(path)!r})
        for n in range(150):
            record = store.create(name=sys.argv[1] + str(n), im_url="u", kind="radl", payload="p" * 2000)
            store.update(record.id, state="submitted", infra_id=sys.argv[1] + "-inf-" + str(n))
            store.update(record.id, state="configured")
    """)
    procs = [subprocess.Popen([sys.executable, "-c", writer, tag]) for tag in ("a", "b")]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    with Store(path) as store:
        assert store.count() == 300
        assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert store.db.execute("SELECT count(*) FROM history").fetchone()[0] == 900
        assert {r.state for r in store} == {"configured"}
