"""The language server on a 300-node template that imports the INDIGO type
library: diagnostics after a one-character edit and completion of a property
name, timed from the client, beside a full `validate` of the same file in a
fresh process.

Targets (issue): the edit's diagnostics within 100 ms and at least 10x faster
than the fresh `validate`; completion within 50 ms.

The client is our own small JSON-RPC client over the server's pipes, so the
figure holds the server's work and the protocol's framing, nothing of a test
framework's event loop.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from queue import Empty, Queue

from .paths import IMPORT_MAP, INDIGO_EXAMPLES, ROOT
from .record import Config, Result, median

NAME = "lsp-edit-300"
TARGET_RATIO = 10.0
EDIT_LIMIT_SECONDS = 0.100
COMPLETION_LIMIT_SECONDS = 0.050
GROUPS, SMOKE_GROUPS = 50, 2  # six node templates per group
EDITS, SMOKE_EDITS = 21, 3
WAIT_SECONDS = 120
INDIGO_URL = "https://raw.githubusercontent.com/indigo-dc/tosca-types/master/custom_types.yaml"
MEASURES = ("`primage-tosca lsp`: a one-character `didChange` to the `publishDiagnostics` that follows, "
            "from the client, on a 300-node template importing the INDIGO types")
PEER = "`python -m primage_tosca validate FILE --import-map ...` in a fresh process, start-up included"

HEADER = f"""\
tosca_definitions_version: tosca_simple_yaml_1_0

imports:
  - indigo_custom_types: {INDIGO_URL}

description: A generated two-tier application repeated many times, for timing the language server.

topology_template:
  inputs:
    db_password:
      type: string
      default: pass
    mysql_root_password:
      type: string
      default: mypass

  node_templates:
"""

# One group: a web server on an INDIGO VM, a MySQL database on a DBMS on a VM with a block storage.
GROUP = """\
    apache_{n}:
      type: tosca.nodes.WebServer.Apache
      requirements:
        - host: web_server_{n}

    web_server_{n}:
      type: tosca.nodes.indigo.Compute
      capabilities:
        endpoint:
          properties:
            network_name: PUBLIC
            ports:
              http_port:
                protocol: tcp
                source: 80
        host:
          properties:
            num_cpus: 1
            mem_size: 1 GB
        os:
          properties:
            type: linux
            distribution: ubuntu

    test_db_{n}:
      type: tosca.nodes.indigo.Database.MySQL
      properties:
        name: db_{n}
        user: user_{n}
        password: {{ get_input: db_password }}
        root_password: {{ get_input: mysql_root_password }}
      requirements:
        - host:
            node: mysql_{n}

    mysql_{n}:
      type: tosca.nodes.DBMS.MySQL
      properties:
        root_password: {{ get_input: mysql_root_password }}
      requirements:
        - host:
            node: db_server_{n}

    db_server_{n}:
      type: tosca.nodes.indigo.Compute
      capabilities:
        host:
          properties:
            num_cpus: 2
            disk_size: 10 GB
            mem_size: 4 GB
        os:
          properties:
            type: linux
            distribution: ubuntu
      requirements:
        - local_storage:
            node: block_storage_{n}
            relationship:
              type: tosca.relationships.AttachesTo
              properties:
                location: /mnt/disk

    block_storage_{n}:
      type: tosca.nodes.BlockStorage
      properties:
        size: 1 GB

"""

EDITED = "            num_cpus: 2\n"  # the edit turns this 2 into 3 and back, in the middle group
COMPLETED = "        user: user_{n}\n"  # completion is asked on a new line after this one


def template(groups: int) -> str:
    return HEADER + "".join(GROUP.format(n=n) for n in range(groups))


def position(text: str, index: int) -> dict:
    line = text.count("\n", 0, index)
    return {"line": line, "character": index - (text.rfind("\n", 0, index) + 1)}


class Client:
    """A minimal LSP client: Content-Length framed JSON-RPC over the server's pipes.
    A reader thread queues every message; requests wait for their own answer."""

    def __init__(self, command: list[str], env: dict, cwd: str):
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, env=env, cwd=cwd)
        self.messages: Queue = Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stream = self.process.stdout
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    self.messages.put(None)
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            self.messages.put(json.loads(stream.read(length)))

    def send(self, message: dict) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def notify(self, method: str, params: dict) -> None:
        self.send({"method": method, "params": params})

    def wait_for(self, wanted) -> dict:
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            try:
                message = self.messages.get(timeout=max(deadline - time.monotonic(), 0.001))
            except Empty:
                raise TimeoutError(f"the server did not answer within {WAIT_SECONDS} s") from None
            if message is None:
                raise RuntimeError("the language server exited")
            if message.get("method") in ("window/logMessage", "window/showMessage") or not wanted(message):
                continue
            return message

    def request(self, method: str, params: dict) -> dict:
        self.next_id += 1
        number = self.next_id
        self.send({"id": number, "method": method, "params": params})
        answer = self.wait_for(lambda m: m.get("id") == number and "method" not in m)
        if "error" in answer:
            raise RuntimeError(f"{method} failed: {answer['error']}")
        return answer.get("result")

    def diagnostics(self, uri: str) -> list:
        found = self.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                              and m["params"]["uri"] == uri)
        return found["params"]["diagnostics"]

    def close(self) -> None:
        try:
            self.request("shutdown", {})
            self.notify("exit", {})
            self.process.wait(timeout=10)
        except Exception:  # noqa: BLE001 - a server that will not stop is stopped
            self.process.kill()
            self.process.wait()


def server_env() -> dict[str, str]:
    """Our package from this checkout; no user cache, config or import map changes the result."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env["PRIMAGE_TOSCA_HOME"] = tempfile.mkdtemp(prefix="primage-bench-lsp-home-")
    env["PRIMAGE_TOSCA_CONFIG"] = os.devnull
    env.pop("PRIMAGE_TOSCA_IMPORT_MAP", None)
    return env


def time_server(path: Path, groups: int, edits: int, env: dict) -> dict:
    """Open the template, then time one-character edits and completions in its middle group."""
    text = template(groups)
    client = Client([sys.executable, "-m", "primage_tosca", "lsp", "--import-map", str(IMPORT_MAP)],
                    env, str(ROOT))
    uri = path.resolve().as_uri()
    try:
        client.request("initialize", {"processId": os.getpid(), "rootUri": path.parent.resolve().as_uri(),
                                      "capabilities": {}})
        client.notify("initialized", {})
        started = time.perf_counter()
        client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1,
                                                                "text": text}})
        opened = client.diagnostics(uri)
        first = time.perf_counter() - started
        edit_seconds, edited = time_edits(client, uri, text, groups // 2, edits)
        completion_seconds, labels = time_completions(client, uri, text, groups // 2, edits, len(edit_seconds) + 2)
    finally:
        client.close()
    return {"open": first, "edits": edit_seconds, "completions": completion_seconds,
            "open_findings": len(opened), "edit_findings": edited, "labels": labels}


def time_edits(client: Client, uri: str, text: str, group: int, edits: int) -> tuple[list[float], int]:
    """Turn one digit into another and back: each edit leaves a valid template."""
    middle = text.index(EDITED, text.index(f"db_server_{group}:"))
    where = position(text, middle + len(EDITED) - 2)
    end = {"line": where["line"], "character": where["character"] + 1}
    seconds, findings = [], 0
    for number in range(edits):
        digit = "3" if number % 2 == 0 else "2"
        started = time.perf_counter()
        client.notify("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": number + 2},
            "contentChanges": [{"range": {"start": where, "end": end}, "text": digit}]})
        findings = len(client.diagnostics(uri))
        seconds.append(time.perf_counter() - started)
    return seconds, findings


def time_completions(client: Client, uri: str, text: str, group: int, count: int,
                     version: int) -> tuple[list[float], list]:
    """A new, empty line among a node template's properties: the unset property names are offered."""
    anchor = text.index(COMPLETED.format(n=group)) + len(COMPLETED.format(n=group))
    at = position(text, anchor)
    client.notify("textDocument/didChange", {
        "textDocument": {"uri": uri, "version": version},
        "contentChanges": [{"range": {"start": at, "end": at}, "text": "        \n"}]})
    client.diagnostics(uri)
    cursor = {"line": at["line"], "character": 8}
    seconds, labels = [], []
    for _ in range(count):
        started = time.perf_counter()
        answer = client.request("textDocument/completion", {"textDocument": {"uri": uri}, "position": cursor})
        seconds.append(time.perf_counter() - started)
        items = answer.get("items", []) if isinstance(answer, dict) else answer or []
        labels = sorted(item["label"] for item in items)
    return seconds, labels


def time_validate(path: Path, env: dict) -> tuple[float, int]:
    """The whole `validate` process, start-up included, as a user or CI runs it."""
    command = [sys.executable, "-m", "primage_tosca", "validate", str(path), "--import-map", str(IMPORT_MAP),
               "--format", "json"]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=WAIT_SECONDS)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise RuntimeError(f"validate exited {done.returncode}: {done.stderr.strip()[-500:]}")
    return seconds, len(json.loads(done.stdout)["diagnostics"])


def run(config: Config) -> Result:
    result = Result(NAME, MEASURES, PEER, "lsp edit", "fresh validate", target_ratio=TARGET_RATIO,
                    judged=not config.smoke)
    if not INDIGO_EXAMPLES.is_dir() or not IMPORT_MAP.is_file():
        result.skipped = f"the shared corpus is not at {INDIGO_EXAMPLES.parent.parent}"
        return result
    groups = SMOKE_GROUPS if config.smoke else GROUPS
    edits = SMOKE_EDITS if config.smoke else EDITS
    env = server_env()
    with tempfile.TemporaryDirectory(prefix="primage-bench-lsp-") as folder:
        path = Path(folder) / "three_hundred.yaml"
        path.write_text(template(groups), encoding="utf-8")
        time_validate(path, env)  # untimed: fills the OS file cache
        served = time_server(path, groups, edits, env)
        peer = [time_validate(path, env) for _ in range(config.repeat)]
    result.ours = served["edits"]
    result.peer = [seconds for seconds, _ in peer]
    result.notes = notes(served, peer, groups, config.smoke)
    return result


def notes(served: dict, peer: list, groups: int, smoke: bool) -> list[str]:
    edit, completion = median(served["edits"]), median(served["completions"])
    verdict = {True: "met", False: "MISSED"}
    found = [
        f"{groups * 6} node templates importing INDIGO's custom_types.yaml (served by the corpus import map); "
        f"{len(served['edits'])} one-character edits (a `num_cpus` digit, 2 to 3 and back), "
        f"{len(served['completions'])} completions of a property name on a new line under a MySQL "
        f"database's `properties:`.",
        f"Edit to diagnostics, median {edit * 1000:.1f} ms (min {min(served['edits']) * 1000:.1f}, "
        f"max {max(served['edits']) * 1000:.1f}); target within {EDIT_LIMIT_SECONDS * 1000:.0f} ms: "
        f"{verdict[edit <= EDIT_LIMIT_SECONDS] if not smoke else 'not judged'}.",
        f"Completion, median {completion * 1000:.1f} ms (max {max(served['completions']) * 1000:.1f}); "
        f"target within {COMPLETION_LIMIT_SECONDS * 1000:.0f} ms: "
        f"{verdict[completion <= COMPLETION_LIMIT_SECONDS] if not smoke else 'not judged'}; "
        f"{len(served['labels'])} items offered ({', '.join(served['labels'][:6])}...).",
        f"Opening the template (first check, type libraries read and checked): {served['open'] * 1000:.0f} ms.",
        f"Findings: the server published {served['open_findings']} on opening and {served['edit_findings']} "
        f"after the last edit; the fresh `validate` reported {peer[0][1]}.",
        "The server runs from start to end of the benchmark, as in an editor; the edits and completions are "
        "timed after the document is open. The peer is timed as a whole process, interpreter start-up included: "
        "what a user waits for when checking the file from the command line.",
    ]
    if served["open_findings"] != peer[0][1]:
        found.append("WARNING: the server and validate did not report the same number of findings.")
    return found
