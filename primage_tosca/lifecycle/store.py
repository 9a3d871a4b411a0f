"""The local record of every deployment: SQLite (standard library) under
the data directory, ``deployments.sqlite``.

Per deployment: the local id, name, IM URL, IM infrastructure id, blueprint
path and content hash, the payload sent (RADL or TOSCA), the inputs (secret
ones masked, see :func:`mask_inputs`), the path of the auth file (never its
contents), the outputs the compiler knows, and a state history with
timestamps; the options it was deployed with (never a secret), the process
submitting it while a submit is in flight, and a salted digest of its secret
inputs. A Kubernetes deployment (kind ``k8s``) also has a row in
``kube_targets``: the API server, namespace, kubeconfig path and context, the
objects it owns and, per HTC job, its inputs and runs. The schema version is
``PRAGMA user_version``; opening an older
store migrates it forward. WAL and a busy timeout let several processes
write at once; every change is one ``BEGIN IMMEDIATE`` transaction.

The store's folder is 0700 and its files 0600. A store that cannot be used
(read-only, held by another process past the busy timeout, corrupt) is one
:class:`StoreError` that says which, never an sqlite traceback.
"""

from __future__ import annotations

import functools
import json
import re
import secrets
import sqlite3
import time
from pathlib import Path
from typing import Any, Iterable, Iterator

from ..config import data_dir, private_dir, private_file
from ..records import field, record
from .masking import MASK
from .names import printable

STORE_NAME = "deployments.sqlite"
SECRET_INPUT = re.compile(r"token|passw|secret|key|credential", re.IGNORECASE)
BUSY_TIMEOUT = 30.0  # seconds a write waits for another process's lock
GONE = "deleted"

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
    # 3: the options a deployment was made with, the process submitting it, its secrets' digest
    """
    ALTER TABLE deployments ADD COLUMN options TEXT NOT NULL DEFAULT '{}';
    ALTER TABLE deployments ADD COLUMN owner TEXT;
    ALTER TABLE deployments ADD COLUMN secrets_digest TEXT;
    UPDATE deployments SET payload = '' WHERE inputs LIKE '%"***"%';
    """,
    # 4: Kubernetes deployments (kind 'k8s'): where they run and what they own
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
SCRUBBED_AT = 3  # the migration that dropped payloads holding secret values: the file is then rewritten
SCHEMA_VERSION = len(MIGRATIONS)
COLUMNS = ("id", "name", "im_url", "infra_id", "kind", "blueprint", "blueprint_hash", "payload", "inputs",
           "auth_path", "state", "created", "updated", "outputs", "options", "owner", "secrets_digest")
JSON_COLUMNS = ("inputs", "outputs", "options")


class StoreError(Exception):
    """The store is unreadable, newer than this program, or a lookup failed."""


class NameInUse(StoreError):
    """A deployment that is not deleted already has this name."""

    def __init__(self, name: str, holders: list["Record"]):
        self.holders = holders
        names = ", ".join(f"{r.id} ({r.state})" for r in holders)
        super().__init__(f"name {printable(name)!r} is in use by deployment {names}")


class AmbiguousReference(StoreError):
    """A reference matches several deployments."""


@record
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
    options: dict = field(default_factory=dict)  # how it was deployed: contextualize, import maps, roots...
    owner: str | None = None  # host:pid:start of the process submitting it, while it does
    secrets_digest: str | None = None
    history: list[dict] = field(default_factory=list)

    def summary(self) -> dict:
        return {"id": self.id, "name": self.name, "state": self.state, "im_url": self.im_url,
                "infra_id": self.infra_id, "kind": self.kind, "blueprint": self.blueprint,
                "created": self.created, "updated": self.updated}

    def as_dict(self, payload: bool = False) -> dict:
        data = self.summary() | {"blueprint_hash": self.blueprint_hash, "inputs": self.inputs,
                                 "auth_path": self.auth_path, "options": self.options, "history": self.history}
        if payload:
            data["payload"] = self.payload
        return data


def secret_input_names(values: dict[str, Any], definitions: dict | None = None,
                       also: Iterable[str] = ()) -> set[str]:
    """The inputs whose values are secret: the name contains token,
    passw(ord), secret, key or credential; or the definition says
    ``metadata: {secret: true}`` (or ``sensitive: true``; TOSCA 1.3 has no
    standard flag); or the caller knows (``also``: inputs a secret property reads)."""
    definitions = definitions or {}
    found = set(also)
    for name in values:
        definition = definitions.get(name) if isinstance(definitions.get(name), dict) else {}
        metadata = definition.get("metadata") if isinstance(definition.get("metadata"), dict) else {}
        flagged = any(str(metadata.get(k, "")).lower() in ("true", "yes", "1") for k in ("secret", "sensitive"))
        if flagged or SECRET_INPUT.search(name):
            found.add(name)
    return found


def mask_inputs(values: dict[str, Any], definitions: dict | None = None, also: Iterable[str] = ()) -> dict[str, Any]:
    """Inputs as stored: secret ones (see :func:`secret_input_names`) are ``***``."""
    secret = secret_input_names(values, definitions, also)
    return {name: MASK if name in secret else value for name, value in values.items()}


def new_id() -> str:
    return secrets.token_hex(4)


def _translated(method):
    """Every sqlite error of a store method becomes one StoreError saying what is wrong."""
    @functools.wraps(method)
    def guarded(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise StoreError(self.problem(exc)) from None
    return guarded


class Store:
    def __init__(self, path: str | Path | None = None, *, timeout: float | None = None):
        self.timeout = BUSY_TIMEOUT if timeout is None else timeout
        if path:
            self.path = Path(path)
            if not self.path.parent.exists():
                private_dir(self.path.parent)
        else:
            self.path = private_dir(data_dir()) / STORE_NAME
        self.db: sqlite3.Connection | None = None
        try:
            for companion in (self.path, *self._companions()):  # sqlite gives -wal and -shm the store's mode
                if companion == self.path or companion.exists():
                    private_file(companion)
        except OSError as exc:
            raise StoreError(f"cannot open the deployment store {self.path}: {exc.strerror or exc}") from None
        try:
            self.db = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
            self.db.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA foreign_keys = ON")
            self.db.execute("PRAGMA synchronous = NORMAL")
            self.db.execute("PRAGMA secure_delete = ON")  # what is replaced or deleted is overwritten in the file
            self.migrate()
        except sqlite3.Error as exc:
            self.close()
            raise StoreError(self.problem(exc)) from None

    def _companions(self) -> list[Path]:
        return [self.path.with_name(self.path.name + suffix) for suffix in ("-wal", "-shm")]

    def problem(self, exc: sqlite3.Error) -> str:
        """What an sqlite error means for the user, in one sentence."""
        text = str(exc).lower()
        if "readonly" in text or "read-only" in text:
            return (f"the deployment store {self.path} is read-only ({exc}): this user must be able to write it "
                    "and its folder")
        if "locked" in text or "busy" in text:
            return (f"the deployment store {self.path} is busy: another process has held it for over "
                    f"{self.timeout:g} s; try again when that process is done")
        if "malformed" in text or "not a database" in text or "corrupt" in text or "disk i/o" in text:
            return (f"the deployment store {self.path} is corrupt ({exc}): move it aside to start a new one "
                    "(the infrastructures on IM are not affected)")
        if "unable to open" in text:
            return f"cannot open the deployment store {self.path} ({exc}): check that its folder is writable"
        return f"the deployment store {self.path} failed: {exc}"

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None

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
        before = self.version
        with self.transaction():  # the version is read again under the lock: another process may have migrated
            for number in range(self.version, SCHEMA_VERSION):
                for statement in [s for s in MIGRATIONS[number].split(";") if s.strip()]:
                    self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {number + 1}")
        if before < SCRUBBED_AT:  # no copy of a dropped payload may stay in the write-ahead log
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

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

    @_translated
    def check_writable(self) -> None:
        """Raise StoreError unless a change could be written now: called before
        anything is asked of IM, so IM never acts on what the store cannot record."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute("UPDATE deployments SET updated = updated WHERE 0")
        finally:
            self.db.execute("ROLLBACK")

    # -- writes -----------------------------------------------------------------------

    @_translated
    def create(self, *, name: str, im_url: str, kind: str, payload: str, blueprint: str | None = None,
               blueprint_hash: str | None = None, inputs: dict | None = None, auth_path: str | None = None,
               outputs: dict | None = None, state: str = "submitting", id: str | None = None,
               options: dict | None = None, owner: str | None = None, secrets_digest: str | None = None,
               detail: str = "", check_name: bool = True) -> Record:
        """A new record. With ``check_name``, a name held by a deployment that is
        not deleted raises :class:`NameInUse` (checked in the same transaction)."""
        now = time.time()
        ident = id or new_id()
        with self.transaction() as db:
            if check_name:
                holders = self._holders(name)
                if holders:
                    raise NameInUse(name, holders)
            db.execute("INSERT INTO deployments (id, name, im_url, infra_id, kind, blueprint, blueprint_hash, payload,"
                       " inputs, auth_path, state, created, updated, outputs, options, owner, secrets_digest)"
                       " VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (ident, name, im_url, kind, blueprint, blueprint_hash, payload, json.dumps(inputs or {}),
                        auth_path, state, now, now, json.dumps(outputs or {}, default=str),
                        json.dumps(options or {}, default=str), owner, secrets_digest))
            db.execute("INSERT INTO history (deployment, at, state, detail) VALUES (?, ?, ?, ?)",
                       (ident, now, state, "; ".join(filter(None, ["record written before the submit", detail]))))
        return self.get(ident)

    @_translated
    def update(self, ident: str, *, state: str | None = None, detail: str = "", **fields: Any) -> None:
        """Change fields and, when ``state`` differs from the stored one, add a history entry; one transaction."""
        unknown = set(fields) - set(COLUMNS)
        if unknown:
            raise ValueError(f"unknown fields {sorted(unknown)}")
        now = time.time()
        for key in JSON_COLUMNS:
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

    @_translated
    def delete(self, ident: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM deployments WHERE id = ?", (ident,))

    # -- reads ------------------------------------------------------------------------

    def _record(self, row: tuple, columns: tuple = COLUMNS) -> Record:
        data = dict(zip(columns, row))
        for key in JSON_COLUMNS:
            data[key] = json.loads(data.get(key) or "{}")
        return Record(**data)

    @_translated
    def get(self, ident: str, *, history: bool = True) -> Record:
        row = self.db.execute(f"SELECT {', '.join(COLUMNS)} FROM deployments WHERE id = ?", (ident,)).fetchone()
        if row is None:
            raise StoreError(f"no deployment {printable(ident)!r} in the store ({self.path})")
        record = self._record(row)
        if history:
            record.history = [{"at": at, "state": state, "detail": detail} for at, state, detail in self.db.execute(
                "SELECT at, state, detail FROM history WHERE deployment = ? ORDER BY seq", (ident,))]
        return record

    def _holders(self, name: str) -> list[Record]:
        """Deployments holding ``name``: all but the deleted and those that never reached IM."""
        rows = self.db.execute(f"SELECT {', '.join(COLUMNS)} FROM deployments WHERE name = ? AND state != ? "
                               "AND NOT (state = 'failed' AND infra_id IS NULL) ORDER BY created DESC",
                               (name, GONE)).fetchall()
        return [self._record(row) for row in rows]

    @_translated
    def holders(self, name: str) -> list[Record]:
        return self._holders(name)

    @_translated
    def find(self, reference: str) -> Record:
        """A deployment by local id, IM infrastructure id, name, or a prefix of
        the local id. A name held by several deployments means the one not
        deleted; a reference that still matches several is an error listing them."""
        if not reference or not reference.strip():
            raise StoreError("an empty reference names no deployment: give its id or name (see `list`)")
        if self.db.execute("SELECT 1 FROM deployments WHERE id = ?", (reference,)).fetchone():
            return self.get(reference)
        for column in ("infra_id", "name"):
            rows = self.db.execute(f"SELECT id, state FROM deployments WHERE {column} = ? ORDER BY created DESC",
                                   (reference,)).fetchall()
            live = [row for row in rows if row[1] != GONE]
            if len(rows) == 1 or len(live) == 1:
                return self.get((live or rows)[0][0])
            if rows:
                return self._ambiguous(reference, [row[0] for row in (live or rows)])
        rows = self.db.execute("SELECT id FROM deployments WHERE substr(id, 1, ?) = ? ORDER BY created DESC LIMIT 21",
                               (len(reference), reference)).fetchall()
        if len(rows) == 1:
            return self.get(rows[0][0])
        if rows:
            return self._ambiguous(reference, [row[0] for row in rows])
        raise StoreError(f"no deployment {printable(reference)!r} in the store (try `list`)")

    def _ambiguous(self, reference: str, ids: list[str]) -> Record:
        lines = []
        for ident in ids[:20]:
            record = self.get(ident, history=False)
            when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(record.created))
            lines.append(f"  {record.id}  {printable(record.name)}  {record.state}  {when}")
        more = "\n  ... and more" if len(ids) > 20 else ""
        raise AmbiguousReference(f"{printable(reference)!r} names {len(ids)} deployments; give one of their ids:\n"
                                 + "\n".join(lines) + more)

    @_translated
    def list(self, *, limit: int = 50, offset: int = 0, state: str | None = None) -> list[Record]:
        """Newest first, one page; uses the ``created`` index, so the cost
        depends on the page, not on the size of the store."""
        if not 0 < limit <= 2 ** 31 or not 0 <= offset <= 2 ** 62:
            raise StoreError(f"a page of the store is 1 to {2 ** 31:,} records from offset 0 to {2 ** 62:,}")
        columns = tuple(c for c in COLUMNS if c != "payload")
        where, params = ("WHERE state = ?", [state]) if state else ("", [])
        rows = self.db.execute(f"SELECT {', '.join(columns)}, '' FROM deployments {where} ORDER BY created DESC, id "
                               f"LIMIT ? OFFSET ?", (*params, limit, offset)).fetchall()
        return [self._record(row, columns + ("payload",)) for row in rows]

    # -- Kubernetes deployments -------------------------------------------------------

    @_translated
    def set_kube_target(self, ident: str, *, api_server: str, namespace: str, context: str | None = None,
                        kubeconfig: str | None = None, cluster: str | None = None) -> None:
        """Where a Kubernetes deployment runs (no credential: the kubeconfig's path and context only)."""
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO kube_targets (deployment, api_server, namespace, context, kubeconfig,"
                       " cluster, objects, jobs) VALUES (?, ?, ?, ?, ?, ?, COALESCE((SELECT objects FROM"
                       " kube_targets WHERE deployment = ?), '[]'), COALESCE((SELECT jobs FROM kube_targets"
                       " WHERE deployment = ?), '{}'))",
                       (ident, api_server, namespace, context, kubeconfig, cluster, ident, ident))

    @_translated
    def set_kube_objects(self, ident: str, objects: list[dict], jobs: dict | None = None) -> None:
        """The objects a Kubernetes deployment owns ({kind, name}) and, per HTC
        job, its inputs by completion index and its runs."""
        with self.transaction() as db:
            if jobs is None:
                db.execute("UPDATE kube_targets SET objects = ? WHERE deployment = ?", (json.dumps(objects), ident))
            else:
                db.execute("UPDATE kube_targets SET objects = ?, jobs = ? WHERE deployment = ?",
                           (json.dumps(objects), json.dumps(jobs), ident))

    @_translated
    def kube_target(self, ident: str) -> dict | None:
        row = self.db.execute("SELECT api_server, namespace, context, kubeconfig, cluster, objects, jobs"
                              " FROM kube_targets WHERE deployment = ?", (ident,)).fetchone()
        if row is None:
            return None
        keys = ("api_server", "namespace", "context", "kubeconfig", "cluster")
        return dict(zip(keys, row[:5])) | {"objects": json.loads(row[5] or "[]"), "jobs": json.loads(row[6] or "{}")}

    @_translated
    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM deployments").fetchone()[0]

    @_translated
    def infra_ids(self) -> set[str]:
        return {row[0] for row in self.db.execute("SELECT infra_id FROM deployments WHERE infra_id IS NOT NULL")}

    def __iter__(self) -> Iterator[Record]:
        offset = 0
        while page := self.list(limit=500, offset=offset):
            yield from page
            offset += len(page)


__all__ = ["AmbiguousReference", "MASK", "NameInUse", "Record", "SCHEMA_VERSION", "Store", "StoreError", "mask_inputs",
           "secret_input_names"]
