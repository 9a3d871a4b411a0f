"""`list` over a store of 10,000 deployments beside the same over 100.

Target (issue 4): the large store costs at most 3x the small one (ratio
small/large >= 1/3): listing is one indexed page, not a scan.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from .record import Config, Result

NAME = "store-list-10000"
TARGET_RATIO = 1 / 3
LOOPS = 50


def build(path: Path, count: int) -> None:
    from primage_tosca.lifecycle.store import Store

    with Store(path) as store, store.transaction() as db:
        now = time.time()
        rows = [(f"{n:08x}", f"app-{n}", "http://127.0.0.1:8800", f"inf-{n}", "radl", "/b.yaml", "h",
                 "system vm ( cpu.count >= 1 )\n" * 20, '{"cpus": 1}', "/auth.dat", "configured", now + n, now + n)
                for n in range(count)]
        db.executemany("INSERT INTO deployments (id, name, im_url, infra_id, kind, blueprint, blueprint_hash, payload,"
                       " inputs, auth_path, state, created, updated) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)


def time_list(path: Path) -> float:
    """Seconds for one `list` (open the store, read the default page of 50, close)."""
    from primage_tosca.lifecycle import list_deployments
    from primage_tosca.lifecycle.store import Store

    start = time.perf_counter()
    for _ in range(LOOPS):
        with Store(path) as store:
            assert list_deployments(store=store)
    return (time.perf_counter() - start) / LOOPS


def run(config: Config) -> Result:
    folder = Path(tempfile.mkdtemp(prefix="primage-bench-store-"))
    large_count = 1000 if config.smoke else 10_000
    try:
        small, large = folder / "small.sqlite", folder / "large.sqlite"
        build(small, 100)
        build(large, large_count)
        time_list(small), time_list(large)  # warm the page cache of both
        ours, peer = [], []
        for _ in range(config.repeat):
            ours.append(time_list(large))
            peer.append(time_list(small))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return Result(NAME, measures=f"`list` (open the store, first page of 50) over {large_count:,} deployments",
                  peer_measures="the same `list` over a store of 100 deployments",
                  ours_label=f"{large_count:,} deployments", peer_label="100 deployments", ours=ours, peer=peer,
                  target_ratio=TARGET_RATIO, judged=not config.smoke,
                  notes=["ratio = time(100) / time(10,000); the target 0.33 means 10,000 costs at most 3x 100",
                         "unlike the others, both sides are the same library call in the harness's own process "
                         f"(open the store, read a page, close; the mean of {LOOPS} in a row): the target is how "
                         "listing grows with the store, not start-up"])
