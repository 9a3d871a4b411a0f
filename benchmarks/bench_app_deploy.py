"""`deploy --to k8s` of an HTC job whose 2,000 inputs are chosen from a
2,000-file listing of the space (the local Oneprovider), beside applying the
same manifests with the `kubernetes` client's `utils.create_from_yaml`, both
against the same local API server (tests/kube_server.py), in the same run.

Target: ours takes under 3x the peer's time (ratio >= 1/3).
"""

from __future__ import annotations

import shutil
import time

import yaml

from .apps_setup import HTC, TOKEN, htc_inputs, options, scratch_home, servers
from .record import Config, Result

NAME = "app-deploy-2000"
TARGET_RATIO = 1 / 3
MEASURES = ("`deploy_app` (`deploy --to k8s`): list the space's input folder through the Oneprovider REST API, "
            "select 2,000 inputs with the pattern, compile and check the blueprint, check ownership, record, "
            "server-side apply of the Secrets, ConfigMap and Job")
PEER = "`kubernetes.utils.create_from_yaml` of the same manifests (a YAML file written before timing)"


def ours(kube, provider, tmp, namespace: str) -> float:
    from primage_tosca.lifecycle import apps

    kube.add_namespace(namespace)
    config = kube.kubeconfig(tmp / f"kc-{namespace}", namespace=namespace)
    start = time.perf_counter()
    apps.deploy_app(HTC, name=namespace, options=options(htc_inputs(provider.url)), kubeconfig=str(config))
    return time.perf_counter() - start


def peer_manifests(provider, tmp) -> str:
    """The manifests our deploy applies (Secrets with their values), as one YAML file."""
    from primage_tosca.lifecycle import apps

    manifests = apps.compile_apps(HTC, options(htc_inputs(provider.url)))
    documents = [apps.own(d, "bench", "bench", "x") for d in manifests.documents]
    for document in documents:
        document["metadata"].pop("namespace")
    path = tmp / "manifests.yaml"
    path.write_text(yaml.safe_dump_all(documents, sort_keys=False), encoding="utf-8")
    return str(path)


def peer(kube, path: str, namespace: str) -> float:
    from kubernetes import client, config, utils

    kube.add_namespace(namespace)
    api = config.new_client_from_config(str(kube.kubeconfig(kube_home() / f"kc-{namespace}", namespace=namespace)))
    start = time.perf_counter()
    utils.create_from_yaml(api, path, namespace=namespace)
    seconds = time.perf_counter() - start
    api.close()
    client.Configuration.set_default(None)
    return seconds


_HOME = []


def kube_home():
    return _HOME[0]


def run(config: Config) -> Result:
    home = scratch_home()
    _HOME[:] = [home]
    size = 200 if config.smoke else 2_000
    kube, provider = servers(size)
    try:
        path = peer_manifests(provider, home)
        ours(kube, provider, home, "warm-ours"), peer(kube, path, "warm-peer")  # imports, first connections
        mine, theirs = [], []
        for round_number in range(config.repeat):
            sides = [("ours", mine), ("peer", theirs)]
            for side, samples in sides if round_number % 2 == 0 else reversed(sides):
                namespace = f"{side}-{round_number}"
                samples.append(ours(kube, provider, home, namespace) if side == "ours"
                               else peer(kube, path, namespace))
        applied = len(kube.names("jobs", "ours-0")) + len(kube.names("configmaps", "peer-0"))
    finally:
        kube.stop()
        provider.stop()
        shutil.rmtree(home, ignore_errors=True)
    return Result(NAME, measures=MEASURES.replace("2,000", f"{size:,}"), peer_measures=PEER,
                  ours_label="deploy --to k8s", peer_label="create_from_yaml", ours=mine, peer=theirs,
                  target_ratio=TARGET_RATIO, judged=not config.smoke,
                  notes=[f"the space's folder holds {size:,} inputs and 3 other files; the pattern inputs/*.nii.gz "
                         f"selects the {size:,} (two pages of the recursive listing at 2,000)",
                         "both sides apply 4 objects (2 Secrets, the inputs ConfigMap, the Indexed Job) into a "
                         f"fresh namespace per repetition; checked after the run: {applied} of 2 expected objects",
                         "ours also compiles and checks the blueprint and writes the store; the peer only parses "
                         "the YAML file and creates the objects",
                         "both sides run in this process after one untimed round each (imports, first connections, "
                         "and for ours the normative type registry, cached per process, are warm); each repetition "
                         "alternates which side goes first",
                         "servers (tests/kube_server.py, tests/onedata_server.py) run in threads of the same "
                         f"process (benchmarks/apps_setup.py); the token is {'*' * len(TOKEN)} (a stand-in)"])
