"""The local record of every deployment: SQLite (standard library) under
the data directory, ``deployments.sqlite``.

Per deployment: the local id, name, IM URL, IM infrastructure id, blueprint
path and content hash, the payload sent (RADL or TOSCA), the inputs (secret
ones masked, see :func:`mask_inputs`), the path of the auth file (never its
contents), the outputs the compiler knows, and a state history with
timestamps. A Kubernetes deployment (kind ``k8s``) also has a row in
``kube_targets``: the API server, namespace, kubeconfig path and context, the
objects it owns and, per HTC job, its inputs and runs. The schema version is ``PRAGMA user_version``; opening an older
store migrates it forward. WAL and a busy timeout let several processes
write at once; every change is one ``BEGIN IMMEDIATE`` transaction.
"""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from ..config import data_dir

STORE_NAME = "deployments.sqlite"
SECRET_INPUT = re.compile(r"token|passw|secret|key|credential", re.IGNORECASE)
MASK = "***"

MIGRATIONS = [
    # 1: deployments and their state history
    """
    CREATE TABLE deployments (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        im_url TEXT NOT NULL,
        infra_id TEXT,
        kind TEXT NOT NULL,
        blueprint TEXT,
        blueprint_hash TEXT,
        payload TEXT NOT NULL,
        inputs TEXT NOT NULL DEFAULT '{}',
        auth_path TEXT,
        state TEXT NOT NULL,
        created REAL NOT NULL,
        updated REAL NOT NULL
    );
    CREATE TABLE history (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        deployment TEXT NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
        at REAL NOT NULL,
        state TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    );
    """,
    # 2: the outputs the compiler knows, and indexes for paging and lookups
    """
    ALTER TABLE deployments ADD COLUMN outputs TEXT NOT NULL DEFAULT '{}';
    CREATE INDEX deployments_created ON deployments(created DESC, id);
    CREATE INDEX deployments_name ON deployments(name);
    CREATE INDEX deployments_infra ON deployments(infra_id);
    CREATE INDEX history_deployment ON history(deployment, seq);
    """,
    # 3: Kubernetes deployments (kind 'k8s'): where they run and what they own
    """
    CREATE TABLE kube_targets (
        deployment TEXT PRIMARY KEY REFERENCES deployments(id) ON DELETE CASCADE,
        api_server TEXT NOT NULL,
        namespace TEXT NOT NULL,
        context TEXT,
        kubeconfig TEXT,
        cluster TEXT,
        objects TEXT NOT NULL DEFAULT '[]',
        jobs TEXT NOT NULL DEFAULT '{}'
    );
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)
COLUMNS = ("id", "name", "im_url", "infra_id", "kind", "blueprint", "blueprint_hash", "payload", "inputs",
           "auth_path", "state", "created", "updated", "outputs")


class StoreError(Exception):
    """The store is unreadable, newer than this program, or a lookup failed."""


@dataclass
class Record:
    id: str
    name: str
    im_url: str
    infra_id: str | None
    kind: str
    blueprint: str | None
    blueprint_hash: str | None
    payload: str
    inputs: dict
    auth_path: str | None
    state: str
    created: float
    updated: float
    outputs: dict = field(default_factory=dict)
    history: list[dict] = field(default_factory=list)

    def summary(self) -> dict:
        return {"id": self.id, "name": self.name, "state": self.state, "im_url": self.im_url,
                "infra_id": self.infra_id, "kind": self.kind, "blueprint": self.blueprint,
                "created": self.created, "updated": self.updated}

    def as_dict(self, payload: bool = False) -> dict:
        data = self.summary() | {"blueprint_hash": self.blueprint_hash, "inputs": self.inputs,
                                 "auth_path": self.auth_path, "history": self.history}
        if payload:
            data["payload"] = self.payload
        return data


def mask_inputs(values: dict[str, Any], definitions: dict | None = None) -> dict[str, Any]:
    """Inputs as stored: a value is masked when its name contains token,
    passw(ord), secret, key or credential, or when its definition says
    ``metadata: {secret: true}`` (or ``sensitive: true``; TOSCA 1.3 has no
    standard flag)."""
    definitions = definitions or {}
    masked = {}
    for name, value in values.items():
        definition = definitions.get(name) if isinstance(definitions.get(name), dict) else {}
        metadata = definition.get("metadata") if isinstance(definition.get("metadata"), dict) else {}
        flagged = any(str(metadata.get(k, "")).lower() in ("true", "yes", "1") for k in ("secret", "sensitive"))
        masked[name] = MASK if flagged or SECRET_INPUT.search(name) else value
    return masked


def new_id() -> str:
    return secrets.token_hex(4)


class Store:
    def __init__(self, path: str | Path | None = None, *, timeout: float = 30.0):
        self.path = Path(path) if path else data_dir() / STORE_NAME
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
            self.db.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA foreign_keys = ON")
            self.db.execute("PRAGMA synchronous = NORMAL")
            self.migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open the deployment store {self.path}: {exc}") from None

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- schema -----------------------------------------------------------------------

    @property
    def version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def migrate(self) -> None:
        if self.version > SCHEMA_VERSION:
            raise StoreError(f"{self.path} has schema {self.version}, newer than this program's "
                             f"{SCHEMA_VERSION}: upgrade primage_tosca")
        if self.version == SCHEMA_VERSION:
            return
        with self.transaction():  # the version is read again under the lock: another process may have migrated
            for number in range(self.version, SCHEMA_VERSION):
                for statement in [s for s in MIGRATIONS[number].split(";") if s.strip()]:
                    self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {number + 1}")

    class _Transaction:
        def __init__(self, db: sqlite3.Connection):
            self.db = db

        def __enter__(self):
            self.db.execute("BEGIN IMMEDIATE")
            return self.db

        def __exit__(self, kind, value, traceback):
            self.db.execute("COMMIT" if kind is None else "ROLLBACK")

    def transaction(self) -> "_Transaction":
        return Store._Transaction(self.db)

    # -- writes -----------------------------------------------------------------------

    def create(self, *, name: str, im_url: str, kind: str, payload: str, blueprint: str | None = None,
               blueprint_hash: str | None = None, inputs: dict | None = None, auth_path: str | None = None,
               outputs: dict | None = None, state: str = "submitting", id: str | None = None) -> Record:
        now = time.time()
        ident = id or new_id()
        with self.transaction() as db:
            db.execute("INSERT INTO deployments (id, name, im_url, infra_id, kind, blueprint, blueprint_hash, payload,"
                       " inputs, auth_path, state, created, updated, outputs)"
                       " VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (ident, name, im_url, kind, blueprint, blueprint_hash, payload, json.dumps(inputs or {}),
                        auth_path, state, now, now, json.dumps(outputs or {}, default=str)))
            db.execute("INSERT INTO history (deployment, at, state, detail) VALUES (?, ?, ?, ?)",
                       (ident, now, state, "record written before the submit"))
        return self.get(ident)

    def update(self, ident: str, *, state: str | None = None, detail: str = "", **fields: Any) -> None:
        """Change fields and, when ``state`` differs from the stored one, add a history entry; one transaction."""
        unknown = set(fields) - set(COLUMNS)
        if unknown:
            raise ValueError(f"unknown fields {sorted(unknown)}")
        now = time.time()
        for key in ("inputs", "outputs"):
            if key in fields:
                fields[key] = json.dumps(fields[key], default=str)
        with self.transaction() as db:
            row = db.execute("SELECT state FROM deployments WHERE id = ?", (ident,)).fetchone()
            if row is None:
                raise StoreError(f"no deployment {ident} in {self.path}")
            if state is not None:
                fields["state"] = state
            fields["updated"] = now
            assignments = ", ".join(f"{k} = ?" for k in fields)
            db.execute(f"UPDATE deployments SET {assignments} WHERE id = ?", (*fields.values(), ident))
            if state is not None and (state != row[0] or detail):
                db.execute("INSERT INTO history (deployment, at, state, detail) VALUES (?, ?, ?, ?)",
                           (ident, now, state, detail))

    def delete(self, ident: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM deployments WHERE id = ?", (ident,))

    # -- reads ------------------------------------------------------------------------

    def _record(self, row: tuple) -> Record:
        data = dict(zip(COLUMNS, row))
        data["inputs"] = json.loads(data["inputs"] or "{}")
        data["outputs"] = json.loads(data["outputs"] or "{}")
        return Record(**data)

    def get(self, ident: str, *, history: bool = True) -> Record:
        row = self.db.execute(f"SELECT {', '.join(COLUMNS)} FROM deployments WHERE id = ?", (ident,)).fetchone()
        if row is None:
            raise StoreError(f"no deployment {ident!r} in the store ({self.path})")
        record = self._record(row)
        if history:
            record.history = [{"at": at, "state": state, "detail": detail} for at, state, detail in self.db.execute(
                "SELECT at, state, detail FROM history WHERE deployment = ? ORDER BY seq", (ident,))]
        return record

    def find(self, reference: str) -> Record:
        """A deployment by local id, name (the newest of that name), IM
        infrastructure id, or a unique prefix of the local id."""
        for query in ("SELECT id FROM deployments WHERE id = ?",
                      "SELECT id FROM deployments WHERE name = ? ORDER BY created DESC LIMIT 1",
                      "SELECT id FROM deployments WHERE infra_id = ?"):
            row = self.db.execute(query, (reference,)).fetchone()
            if row:
                return self.get(row[0])
        rows = self.db.execute("SELECT id FROM deployments WHERE id LIKE ? LIMIT 2",
                               (reference.replace("%", "") + "%",)).fetchall()
        if len(rows) == 1:
            return self.get(rows[0][0])
        raise StoreError(f"no deployment {reference!r} in the store (try `list`)" if not rows
                         else f"{reference!r} names several deployments: give more of the id")

    def list(self, *, limit: int = 50, offset: int = 0, state: str | None = None) -> list[Record]:
        """Newest first, one page; uses the ``created`` index, so the cost
        depends on the page, not on the size of the store."""
        columns = ", ".join(c for c in COLUMNS if c != "payload")
        where, params = ("WHERE state = ?", [state]) if state else ("", [])
        rows = self.db.execute(f"SELECT {columns}, '' FROM deployments {where} ORDER BY created DESC, id "
                               f"LIMIT ? OFFSET ?", (*params, limit, offset)).fetchall()
        records = []
        for row in rows:
            data = dict(zip([c for c in COLUMNS if c != "payload"] + ["payload"], row))
            data["inputs"] = json.loads(data["inputs"] or "{}")
            data["outputs"] = json.loads(data["outputs"] or "{}")
            records.append(Record(**data))
        return records

    # -- Kubernetes deployments -------------------------------------------------------

    def set_kube_target(self, ident: str, *, api_server: str, namespace: str, context: str | None = None,
                        kubeconfig: str | None = None, cluster: str | None = None) -> None:
        """Where a Kubernetes deployment runs (no credential: the kubeconfig's path and context only)."""
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO kube_targets (deployment, api_server, namespace, context, kubeconfig,"
                       " cluster, objects, jobs) VALUES (?, ?, ?, ?, ?, ?, COALESCE((SELECT objects FROM"
                       " kube_targets WHERE deployment = ?), '[]'), COALESCE((SELECT jobs FROM kube_targets"
                       " WHERE deployment = ?), '{}'))",
                       (ident, api_server, namespace, context, kubeconfig, cluster, ident, ident))

    def set_kube_objects(self, ident: str, objects: list[dict], jobs: dict | None = None) -> None:
        """The objects a Kubernetes deployment owns ({kind, name}) and, per HTC
        job, its inputs by completion index and its runs."""
        with self.transaction() as db:
            if jobs is None:
                db.execute("UPDATE kube_targets SET objects = ? WHERE deployment = ?", (json.dumps(objects), ident))
            else:
                db.execute("UPDATE kube_targets SET objects = ?, jobs = ? WHERE deployment = ?",
                           (json.dumps(objects), json.dumps(jobs), ident))

    def kube_target(self, ident: str) -> dict | None:
        row = self.db.execute("SELECT api_server, namespace, context, kubeconfig, cluster, objects, jobs"
                              " FROM kube_targets WHERE deployment = ?", (ident,)).fetchone()
        if row is None:
            return None
        keys = ("api_server", "namespace", "context", "kubeconfig", "cluster")
        return dict(zip(keys, row[:5])) | {"objects": json.loads(row[5] or "[]"), "jobs": json.loads(row[6] or "{}")}

    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM deployments").fetchone()[0]

    def infra_ids(self) -> set[str]:
        return {row[0] for row in self.db.execute("SELECT infra_id FROM deployments WHERE infra_id IS NOT NULL")}

    def __iter__(self) -> Iterator[Record]:
        offset = 0
        while page := self.list(limit=500, offset=offset):
            yield from page
            offset += len(page)


__all__ = ["MASK", "Record", "SCHEMA_VERSION", "Store", "StoreError", "mask_inputs"]
