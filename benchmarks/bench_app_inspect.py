"""`inspect` of an HTC job of 2,000 inputs beside the same of 10 inputs, on the
local Kubernetes API server (tests/kube_server.py).

Target: the number of API requests does not grow with the inputs, and the
2,000-input job takes at most 2x the 10-input one (ratio small/large >= 0.5).
Both jobs are in the same state: inputs 7 and 8 failed (exit code 1,
OOMKilled), input 5 waits for its image, input 3 runs, every other input is
done. The cost grows with the pods that did not succeed (they are listed, with
their reasons), not with the inputs; a note gives the figure for a 2,000-input
job with 1% of its inputs failed.
"""

from __future__ import annotations

import gc
import shutil
import time

from .apps_setup import HTC, options, scratch_home, servers
from .record import Config, Result

NAME = "app-inspect-2000"
TARGET_RATIO = 0.5
LOOPS = 10
MEASURES = "`inspect_app` of an HTC job of 2,000 inputs (lists by label selector, status per input)"
PEER = "the same `inspect_app` of an HTC job of 10 inputs, same server, same run"


SPECIAL = {3: "running", 5: "imagepull", 7: ("failed", 1), 8: "oomkilled"}


def outcomes(size: int, failing_every: int = 0) -> dict:
    found = {i: SPECIAL.get(i, "succeeded") for i in range(size)}
    if failing_every:
        found |= {i: ("failed", 1) for i in range(10, size, failing_every)}
    return found


def deploy_job(kube, size: int, tmp, failing_every: int = 0) -> str:
    from primage_tosca.lifecycle import apps

    from .apps_setup import htc_inputs

    namespace = f"inputs-{size}-{failing_every}"
    kube.add_namespace(namespace)
    config = kube.kubeconfig(tmp / f"kubeconfig-{size}", namespace=namespace)
    listing = [f"inputs/p{i:05d}.nii.gz" for i in range(size)]
    inputs = htc_inputs("http://127.0.0.1:9", input_listing=listing)
    record = apps.deploy_app(HTC, name=namespace, options=options(inputs), kubeconfig=str(config))
    kube.run_job("segmentation", outcomes(size, failing_every), namespace=namespace)
    return record.id


def time_inspect(ident: str, kube) -> tuple[float, int, int]:
    """Seconds per inspect, its API requests (client and server side), over LOOPS calls."""
    from primage_tosca.lifecycle import apps

    before = len(kube.requests)
    start = time.perf_counter()
    for _ in range(LOOPS):
        data = apps.inspect_app(ident)
    seconds = (time.perf_counter() - start) / LOOPS
    return seconds, data["requests"], (len(kube.requests) - before) // LOOPS


def run(config: Config) -> Result:
    home = scratch_home()
    large = 200 if config.smoke else 2_000
    kube, provider = servers()
    try:
        small_id, large_id = deploy_job(kube, 10, home), deploy_job(kube, large, home)
        failing_id = deploy_job(kube, large, home, failing_every=100)
        time_inspect(small_id, kube), time_inspect(large_id, kube)  # imports and first connections
        gc.collect()
        gc.freeze()  # the servers' objects live in this process: the collector need not walk them
        failing = time_inspect(failing_id, kube)
        ours, peer, requests = [], [], set()
        for _ in range(config.repeat):
            seconds, calls, served = time_inspect(large_id, kube)
            ours.append(seconds)
            requests.add(("large", calls, served))
            seconds, calls, served = time_inspect(small_id, kube)
            peer.append(seconds)
            requests.add(("small", calls, served))
    finally:
        gc.unfreeze()
        kube.stop()
        provider.stop()
        shutil.rmtree(home, ignore_errors=True)
    counts = {size: (calls, served) for size, calls, served in requests}
    same = len({v for v in counts.values()}) == 1
    return Result(NAME, measures=MEASURES.replace("2,000", f"{large:,}"), peer_measures=PEER,
                  ours_label=f"{large:,} inputs", peer_label="10 inputs", ours=ours, peer=peer,
                  target_ratio=TARGET_RATIO if same else 10.0 ** 9, judged=not config.smoke,
                  notes=[f"API requests per inspect: {counts.get('large')} for {large:,} inputs, "
                         f"{counts.get('small')} for 10 (client count, server count): "
                         f"{'the same' if same else 'NOT the same: the benchmark fails'}",
                         f"each figure is the mean of {LOOPS} inspects; ratio = time(10) / time({large:,}); "
                         "the target 0.5 means the large job costs at most 2x the small one",
                         f"with 1% of the {large:,} inputs failed as well ({large // 100 + 2} failed pods listed "
                         f"with their reasons), one inspect takes {failing[0] * 1000:.1f} ms and "
                         f"{failing[1]} requests",
                         "the API server is tests/kube_server.py in a thread of the same process (see "
                         "benchmarks/apps_setup.py); pods listed are those not succeeded "
                         "(status.phase!=Succeeded), so the answer grows with the failures, not the inputs"])
