"""Applications on Kubernetes: deploy, inspect, logs, outputs, reconfigure,
undeploy, against the local API server (tests/kube_server.py) and the local
Oneprovider (tests/onedata_server.py), with the `kubernetes` client for real."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

from kube_server import KubeServer
from onedata_server import OneproviderServer
from primage_tosca import lifecycle
from primage_tosca.cli import main
from primage_tosca.kube import errors
from primage_tosca.lifecycle import apps
from primage_tosca.lifecycle.store import Store
from primage_tosca.options import load_options

pytest.importorskip("kubernetes")

ROOT = Path(__file__).resolve().parent.parent
HTC = ROOT / "blueprints" / "htc-segmentation.yaml"
NOTEBOOK = ROOT / "blueprints" / "jupyter-notebook.yaml"
TOKEN = "onedata-token"
SECRETS = {"onedata_token": TOKEN, "registry_password": "registry-secret-pw"}


@pytest.fixture
def kube():
    with KubeServer() as server:
        yield server


@pytest.fixture
def provider():
    with OneproviderServer(token=TOKEN) as server:
        for i in range(12):
            server.add(f"primage-data/inputs/p{i:03d}.nii.gz", b"x" * (i + 1))
        server.add("primage-data/inputs/README.md", b"not an input")
        server.add("primage-data/results/p000.seg.nii.gz", bytes(range(256)) * 1200)
        server.add("primage-data/results/logs/p000.txt", b"done\n")
        yield server


@pytest.fixture
def kubeconfig(kube, tmp_path):
    return str(kube.kubeconfig(tmp_path / "kubeconfig"))


def htc_inputs(provider, **more) -> dict:
    base = yaml.safe_load((ROOT / "tests" / "fixtures" / "platform" / "htc-inputs.yaml").read_text())
    base.pop("input_listing")
    return base | {"onedata_provider": provider.url} | SECRETS | more


def options(inputs: dict):
    return load_options(inputs=inputs, roots=[str(ROOT)], use_config=False)


def deploy_htc(provider, kubeconfig, **more):
    return apps.deploy_app(HTC, options=options(htc_inputs(provider, **more)), kubeconfig=kubeconfig)


# -- deploy ------------------------------------------------------------------------------------

def test_deploy_applies_records_and_keeps_secrets_in_the_cluster(kube, provider, kubeconfig, _isolated_home):
    record = deploy_htc(provider, kubeconfig)
    assert record.kind == "k8s" and record.state == "running" and record.im_url == kube.url
    with Store() as store:
        target = store.kube_target(record.id)
    assert target["namespace"] == "default" and target["api_server"] == kube.url and target["context"] == "test"
    assert {(o["kind"], o["name"]) for o in target["objects"]} == {
        ("Secret", "datahub-onedata"), ("Secret", "registry-pull"), ("ConfigMap", "segmentation-inputs"),
        ("Job", "segmentation")}
    # the space was listed and the pattern chose 12 of its 13 files
    facts = target["jobs"]["segmentation"]
    assert facts["inputs"] == [f"inputs/p{i:03d}.nii.gz" for i in range(12)] and facts["listed_from_space"]
    assert len(kube.get("configmaps", "segmentation-inputs")["data"]) == 12
    assert ("GET", f"/api/v3/oneprovider/data/{'0000' + '/primage-data/inputs'.encode().hex().upper()}/files") \
        in provider.requests
    # server-side apply under our field manager, ownership on every object and pod template
    job = kube.get("jobs", "segmentation")
    assert [m["manager"] for m in job["metadata"]["managedFields"]] == ["primage-tosca"]
    assert job["metadata"]["labels"][apps.OWNER] == record.id
    assert job["spec"]["template"]["metadata"]["labels"][apps.OWNER] == record.id
    # the Secret holds the token in the cluster; the store and the data dir never do
    import base64

    assert base64.b64decode(kube.get("secrets", "datahub-onedata")["data"]["token"]).decode() == TOKEN
    assert record.inputs["onedata_token"] == "***" and record.inputs["registry_password"] == "***"
    for path in _isolated_home.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert TOKEN.encode() not in data and b"registry-secret-pw" not in data, path
    assert record.blueprint_hash and "input_listing" not in record.inputs


def test_list_shows_both_kinds(kube, provider, kubeconfig, capsys):
    with Store() as store:
        store.create(name="cluster", im_url="http://127.0.0.1:1", kind="radl", payload="system front ()")
    deploy_htc(provider, kubeconfig)
    assert main(["list", "--json"]) == 0
    kinds = {row["kind"] for row in json.loads(capsys.readouterr().out)}
    assert kinds == {"radl", "k8s"}


# -- inspect -----------------------------------------------------------------------------------

def test_inspect_reports_each_failed_input_with_its_reason(kube, provider, kubeconfig):
    record = deploy_htc(provider, kubeconfig)
    kube.run_job("segmentation", {0: "succeeded", 1: ("failed", 3), 2: "oomkilled", 3: "imagepull", 4: "evicted",
                                  5: "running", 6: "succeeded"}, attempts=3)
    data = apps.inspect_app(record.id)
    [job] = data["applications"]
    assert (job["total"], job["done"], job["running"], job["pending"]) == (12, 2, 1, 5)
    failed = {f["index"]: (f["input"], f["reason"]) for f in job["failed"]}
    assert failed[1] == ("inputs/p001.nii.gz", "exit code 3")
    assert failed[2][1].startswith("OOMKilled") and "137" in failed[2][1]
    assert failed[4][1].startswith("evicted") and len(failed) == 3
    [waiting] = job["waiting"]
    assert waiting["index"] == 3 and waiting["reason"].startswith("image pull error (ImagePullBackOff)")
    assert data["state"] == "running" and job["state"] == "running"


def test_inspect_makes_the_same_requests_for_10_and_2000_inputs(kube, tmp_path):
    counts = []
    for size in (10, 2000):
        namespace = f"n{size}"
        kube.add_namespace(namespace)
        listing = {"input_listing": [f"inputs/p{i:04d}.nii.gz" for i in range(size)]}
        record = apps.deploy_app(HTC, options=options(htc_inputs(OneproviderStub, **listing)),
                                 kubeconfig=str(kube.kubeconfig(tmp_path / f"k{size}", namespace=namespace)))
        kube.run_job("segmentation", {i: ("failed", 1) if i % 97 == 5 else "succeeded" for i in range(size)},
                     namespace=namespace)
        before = len(kube.requests)
        data = apps.inspect_app(record.id)
        counts.append((len(kube.requests) - before, data["requests"]))
        [job] = data["applications"]
        assert job["done"] + len(job["failed"]) == size
    assert counts[0] == counts[1] and counts[0][0] <= 3


class OneproviderStub:  # an input listing given by hand: no provider is asked
    url = "http://127.0.0.1:9"


def test_a_job_deleted_behind_our_back_is_reported_and_the_record_kept(kube, provider, kubeconfig):
    record = deploy_htc(provider, kubeconfig)
    kube.remove("jobs", "segmentation")
    data = apps.inspect_app(record.id)
    assert data["state"] == "missing" and data["applications"][0]["missing"] == ["segmentation"]
    with Store() as store:
        kept = store.get(record.id)
        assert store.kube_target(record.id)["objects"]  # nothing lost
    assert "deleted outside primage-tosca" in kept.history[-1]["detail"]
    assert apps.undeploy_app(record.id).state == "deleted"
    assert kube.names("configmaps") == [] and kube.names("secrets") == []


def test_notebook_ready_url_and_restarts(kube, kubeconfig):
    inputs = yaml.safe_load((ROOT / "tests" / "fixtures" / "platform" / "notebook-inputs.yaml").read_text())
    inputs |= {"onedata_token": TOKEN, "notebook_token": "nb-token"}
    record = apps.deploy_app(NOTEBOOK, options=options(inputs), kubeconfig=kubeconfig)
    [notebook] = apps.inspect_app(record.id)["applications"]
    assert notebook["state"] == "starting" and not notebook["ready"]
    kube.run_statefulset("notebook", ready=True, restarts=2)
    [notebook] = apps.inspect_app(record.id)["applications"]
    assert notebook["ready"] and notebook["restarts"] == 2 and notebook["url"] == "http://kube.example.org:30888/"
    kube.set_log("notebook-0", "Jupyter Server is running at http://...\n")
    assert list(apps.app_logs(record.id)) == ["Jupyter Server is running at http://..."]


# -- logs --------------------------------------------------------------------------------------

def test_logs_of_an_index_and_following_them(kube, provider, kubeconfig):
    record = deploy_htc(provider, kubeconfig)
    [pod] = kube.run_job("segmentation", {7: "running"}, logs={7: "starting\n"})
    assert list(apps.app_logs(record.id, index=7)) == ["starting"]

    def later() -> None:
        time.sleep(0.3)
        kube.set_log(pod, "segmenting\n")
        time.sleep(0.2)
        kube.set_log(pod, "done\n")
        kube.finish_pod(pod)

    threading.Thread(target=later, daemon=True).start()
    assert list(apps.app_logs(record.id, index=7, follow=True)) == ["starting", "segmenting", "done"]
    with pytest.raises(lifecycle.LifecycleError, match="--index"):
        list(apps.app_logs(record.id))
    with pytest.raises(lifecycle.LifecycleError, match="no pod yet"):
        list(apps.app_logs(record.id, index=2))


# -- outputs -----------------------------------------------------------------------------------

def test_outputs_lists_and_downloads_with_resume(kube, provider, kubeconfig, tmp_path):
    record = deploy_htc(provider, kubeconfig)
    with pytest.raises(apps.TokenNeeded, match="onedata_token"):
        apps.app_outputs(record.id)
    listed = apps.app_outputs(record.id, inputs={"onedata_token": TOKEN})["files"]["segmentation"]
    assert sorted(f["path"] for f in listed["files"]) == ["logs/p000.txt", "p000.seg.nii.gz"]
    big = provider.files["/primage-data/results/p000.seg.nii.gz"]
    provider.cut_after["/primage-data/results/p000.seg.nii.gz"] = 200_000
    with pytest.raises(lifecycle.LifecycleError, match="run it again to resume"):
        apps.app_outputs(record.id, token=TOKEN, download=tmp_path / "out")
    resumed = apps.app_outputs(record.id, token=TOKEN, download=tmp_path / "out")["files"]["segmentation"]
    assert 0 < resumed["bytes_fetched"] < len(big) + 5  # only the rest of the cut file, and the small one
    assert (tmp_path / "out" / "segmentation" / "p000.seg.nii.gz").read_bytes() == big
    assert (tmp_path / "out" / "segmentation" / "logs" / "p000.txt").read_bytes() == b"done\n"
    again = apps.app_outputs(record.id, token=TOKEN, download=tmp_path / "out")["files"]["segmentation"]
    assert again["bytes_fetched"] == 0


def test_outputs_faults_of_the_provider(kube, provider, kubeconfig, tmp_path):
    record = deploy_htc(provider, kubeconfig)
    with pytest.raises(lifecycle.LifecycleError, match="refused the Onedata token"):
        apps.app_outputs(record.id, token="wrong")
    provider.stop()
    with pytest.raises(lifecycle.LifecycleError, match="cannot reach the Oneprovider"):
        apps.app_outputs(record.id, token=TOKEN)


def test_a_wrong_size_is_not_taken_for_the_file(provider, tmp_path):
    from primage_tosca.onedata import Entry, OnedataError, OneproviderClient

    with OneproviderClient(provider.url, TOKEN) as client:
        [entry] = [e for e in client.list_files("primage-data/results") if e.path == "logs/p000.txt"]
        with pytest.raises(OnedataError, match="got 5 bytes, the provider says 9"):
            client.download(Entry(entry.path, 9, entry.file_id), tmp_path / "x.txt")
    assert not (tmp_path / "x.txt").exists()


def test_deploy_with_the_provider_down_or_the_token_refused(kube, provider, kubeconfig):
    with pytest.raises(lifecycle.LifecycleError, match="refused the Onedata token"):
        deploy_htc(provider, kubeconfig, onedata_token="wrong")
    provider.stop()
    with pytest.raises(lifecycle.LifecycleError, match="cannot reach the Oneprovider"):
        deploy_htc(provider, kubeconfig)
    assert kube.names("jobs") == [] and lifecycle.list_deployments() == []


# -- reconfigure -------------------------------------------------------------------------------

def test_retry_failed_reruns_only_the_failed_inputs(kube, provider, kubeconfig):
    record = deploy_htc(provider, kubeconfig)
    kube.run_job("segmentation", {i: ("failed", 1) if i in (2, 9) else "succeeded" for i in range(12)})
    _, plan = apps.reconfigure_app(record.id, retry_failed=True, dry_run=True)
    assert kube.names("jobs") == ["segmentation"] and "2, 9" in plan.lines[0]
    apps.reconfigure_app(record.id, retry_failed=True)
    retry = kube.get("jobs", "segmentation-r1")
    assert retry["spec"]["completions"] == 2
    assert retry["metadata"]["annotations"]["primage.eu/input-indexes"] == "2,9"
    assert kube.get("configmaps", "segmentation-r1-inputs")["data"] == {
        "0": "/mnt/onedata/onedata/primage-data/inputs/p002.nii.gz",
        "1": "/mnt/onedata/onedata/primage-data/inputs/p009.nii.gz"}
    kube.run_job("segmentation-r1", {0: "succeeded", 1: "oomkilled"})
    [job] = apps.inspect_app(record.id)["applications"]
    assert job["done"] == 11 and [(f["index"], f["run"]) for f in job["failed"]] == [(9, "segmentation-r1")]


def test_reconfigure_plans_with_a_dry_run_then_applies(kube, provider, kubeconfig):
    record = deploy_htc(provider, kubeconfig)
    _, plan = apps.reconfigure_app(record.id, inputs={"parallelism": 2, "onedata_token": TOKEN}, dry_run=True,
                                   roots=[str(ROOT)])
    assert any("parallelism 4 -> 2" in line for line in plan.lines)
    assert {"kind": "Job", "name": "segmentation", "path": "spec.parallelism", "before": 4, "after": 2} in plan.changes
    assert kube.get("jobs", "segmentation")["spec"]["parallelism"] == 4  # a dry run
    assert ("PATCH", "/apis/batch/v1/namespaces/default/jobs/segmentation") in kube.requests
    apps.reconfigure_app(record.id, inputs={"parallelism": 2, "onedata_token": TOKEN}, roots=[str(ROOT)])
    assert kube.get("jobs", "segmentation")["spec"]["parallelism"] == 2
    with Store() as store:
        assert store.get(record.id).inputs["parallelism"] == 2


def test_reconfigure_runs_inputs_added_and_replaces_on_a_new_image(kube, provider, kubeconfig):
    record = deploy_htc(provider, kubeconfig)
    kube.run_job("segmentation", {0: "succeeded"})
    provider.add("primage-data/inputs/p100.nii.gz", b"new")
    _, plan = apps.reconfigure_app(record.id, inputs={"onedata_token": TOKEN}, roots=[str(ROOT)])
    assert any("1 input(s) added" in line for line in plan.lines)
    assert kube.get("jobs", "segmentation-r1")["spec"]["completions"] == 1
    [job] = apps.inspect_app(record.id)["applications"]
    assert job["total"] == 13 and job["done"] == 1
    new_image = "registry.example.org:5000/primage/segmentation:2.0"
    _, plan = apps.reconfigure_app(record.id, inputs={"onedata_token": TOKEN, "image": new_image}, roots=[str(ROOT)])
    assert any("the Job is replaced" in line for line in plan.lines)
    assert kube.names("jobs") == ["segmentation"]
    assert kube.get("jobs", "segmentation")["spec"]["template"]["spec"]["containers"][0]["image"] == new_image
    [job] = apps.inspect_app(record.id)["applications"]
    assert job["total"] == 13 and job["done"] == 0


# -- undeploy ----------------------------------------------------------------------------------

def test_undeploy_deletes_ours_waits_and_leaves_others(kube, provider, kubeconfig):
    kube.put({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "theirs", "labels": {"x": "y"}}})
    record = deploy_htc(provider, kubeconfig)
    pods = kube.run_job("segmentation", {0: "succeeded", 1: "running"})
    kube.deletion_delay = 0.3
    started = time.monotonic()
    assert apps.undeploy_app(record.id).state == "deleted"
    assert time.monotonic() - started >= 0.3  # waited for the foreground deletion
    assert kube.names("jobs") == [] and kube.names("pods") == [] and kube.names("configmaps") == ["theirs"]
    assert not any(kube.get("pods", p) for p in pods)
    deletes = [r for r in kube.requests if r[0] == "DELETE"]
    assert len(deletes) == 4
    assert apps.undeploy_app(record.id).state == "deleted"  # twice is fine


# -- faults ------------------------------------------------------------------------------------

def test_an_object_not_ours_is_never_adopted(kube, provider, kubeconfig):
    kube.put({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "segmentation-inputs"}, "data": {"a": "b"}})
    with pytest.raises(errors.NotOwned, match="segmentation-inputs.*not adopted"):
        deploy_htc(provider, kubeconfig)
    assert kube.get("configmaps", "segmentation-inputs")["data"] == {"a": "b"}
    assert kube.names("jobs") == [] and kube.names("secrets") == []
    assert not [r for r in kube.requests if r[0] == "PATCH"]


def test_quota_exceeded_is_reported_and_recorded(kube, provider, kubeconfig):
    kube.quota["jobs"] = 0
    with pytest.raises(errors.QuotaExceeded, match="ResourceQuota"):
        deploy_htc(provider, kubeconfig)
    [record] = lifecycle.list_deployments()
    assert record.state == "failed" and "exceeded quota" in Store().get(record.id).history[-1]["detail"]
    assert apps.undeploy_app(record.id).state == "deleted"  # cleans what was created
    assert kube.names("secrets") == [] and kube.names("configmaps") == []


def test_forbidden_names_the_verb_and_the_resource(kube, provider, kubeconfig):
    kube.forbidden.add(("patch", "jobs"))
    with pytest.raises(errors.Forbidden, match="may not patch jobs.batch in namespace 'default'"):
        deploy_htc(provider, kubeconfig)


def test_refused_credentials_missing_namespace_unreachable_and_tls(kube, provider, tmp_path):
    with pytest.raises(errors.Unauthorized, match="401"):
        deploy_htc(provider, str(kube.kubeconfig(tmp_path / "bad", token="wrong")))
    with pytest.raises(errors.NamespaceMissing, match="namespace 'nowhere' does not exist"):
        apps.deploy_app(HTC, options=options(htc_inputs(provider)), kubeconfig=str(kube.kubeconfig(tmp_path / "k")),
                        namespace="nowhere")
    with KubeServer(tls=True) as secure:
        with pytest.raises(errors.TLSFailure, match="certificate"):
            deploy_htc(provider, str(secure.kubeconfig(tmp_path / "untrusted", trust=False)))
        assert deploy_htc(provider, str(secure.kubeconfig(tmp_path / "trusted"))).state == "running"
    gone = KubeServer()
    config = gone.kubeconfig(tmp_path / "gone")
    gone.httpd.server_close()
    with pytest.raises(errors.Unreachable, match="cannot reach the Kubernetes API"):
        deploy_htc(provider, str(config))
    with pytest.raises(errors.KubeConfigError, match="no kubeconfig"):
        deploy_htc(provider, str(tmp_path / "missing"))
    (tmp_path / "broken").write_text("clusters: [\n")
    with pytest.raises(errors.KubeConfigError):
        deploy_htc(provider, str(tmp_path / "broken"))
    assert len(lifecycle.list_deployments()) == 1  # only the one that worked


def test_a_server_gone_after_deploy_loses_nothing(kube, provider, kubeconfig, capsys):
    record = deploy_htc(provider, kubeconfig)
    kube.stop()
    assert main(["inspect", record.id]) == 1
    assert "cannot reach the Kubernetes API" in capsys.readouterr().err
    with Store() as store:
        assert store.get(record.id).state == "running" and store.kube_target(record.id)["objects"]


def test_on_a_cluster_of_the_store(monkeypatch, provider, tmp_path):
    with KubeServer(tls=True) as secure:
        with Store() as store:
            cluster = store.create(name="primage-k8s", im_url="http://127.0.0.1:1", kind="radl", payload="x")
        monkeypatch.setattr(lifecycle, "outputs", lambda ref, store=None: {"kubernetes_api": secure.url})
        config = secure.kubeconfig(tmp_path / "kc")
        record = apps.deploy_app(HTC, options=options(htc_inputs(provider)), kubeconfig=str(config),
                                 on="primage-k8s")
        assert Store().kube_target(record.id)["cluster"] == cluster.id
        apps.undeploy_app(record.id)
        monkeypatch.setenv("KUBECONFIG", str(tmp_path / "none"))
        with pytest.raises(lifecycle.LifecycleError, match="PRIMAGE_TOSCA_KUBE_TOKEN"):
            apps.deploy_app(HTC, options=options(htc_inputs(provider)), on="primage-k8s")
        monkeypatch.setenv("PRIMAGE_TOSCA_KUBE_TOKEN", "test-token")
        monkeypatch.setenv("PRIMAGE_TOSCA_KUBE_CA", str(secure.ca_file))
        record = apps.deploy_app(HTC, options=options(htc_inputs(provider)), on="primage-k8s")
        assert apps.inspect_app(record.id)["applications"][0]["total"] == 12


# -- command line --------------------------------------------------------------------------------

def test_command_line_round_trip(kube, provider, kubeconfig, capsys, tmp_path):
    args = ["--root", str(ROOT)] + [f"-i{k}={v}" for k, v in htc_inputs(provider).items()]
    assert main(["deploy", str(HTC), "--to", "k8s", "--kubeconfig", kubeconfig, "--name", "seg", "--json", *args]) == 0
    ident = json.loads(capsys.readouterr().out)["id"]
    kube.run_job("segmentation", {0: "succeeded", 1: ("failed", 4)}, logs={1: "oops\n"})
    assert main(["inspect", "seg"]) == 0
    out = capsys.readouterr().out
    assert "1/12 done" in out and "inputs/p001.nii.gz  exit code 4" in out and "onedata_token=***" in out
    assert main(["logs", "seg", "--index", "1"]) == 0 and capsys.readouterr().out == "oops\n"
    assert main(["outputs", "seg", "-i", f"onedata_token={TOKEN}", "--download", str(tmp_path / "d")]) == 0
    assert "p000.seg.nii.gz" in capsys.readouterr().out
    assert main(["reconfigure", "seg", "--retry-failed"]) == 0
    assert "segmentation-r1" in capsys.readouterr().out
    assert main(["logs", "seg", "--follow", "--index", "1"]) == 0  # the newest pod of input 1: the retry has none yet
    assert capsys.readouterr().out == "oops\n"
    assert main(["undeploy", ident]) == 0 and main(["undeploy", ident]) == 0
    assert main(["wait", "seg"]) == 2


def test_kubernetes_is_not_loaded_by_import_validate_compile_or_list(tmp_path):
    script = ("import sys, primage_tosca; from primage_tosca import validate, compile; "
              f"validate({str(HTC)!r}, roots=[{str(ROOT)!r}]); "
              f"compile({str(ROOT / 'blueprints' / 'hello-compute.yaml')!r}, roots=[{str(ROOT)!r}]); "
              "from primage_tosca.cli import main; main(['list']); "
              "print([m for m in ('kubernetes', 'primage_tosca.kube.client', 'primage_tosca.lifecycle.apps') "
              "if m in sys.modules])")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path,
                          env={**os.environ, "PRIMAGE_TOSCA_CONFIG": os.devnull, "PYTHONPATH": str(ROOT),
                               "PRIMAGE_TOSCA_HOME": str(tmp_path / "home")}, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_job_run_maps_completion_indexes_to_inputs():
    from primage_tosca.emit.k8s import index_ranges, job_run, parse_ranges

    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "seg"},
           "spec": {"completions": 5, "parallelism": 4, "maxFailedIndexes": 5, "template": {"spec": {
               "volumes": [{"name": "inputs", "configMap": {"name": "seg-inputs"}}], "containers": []}}}}
    inputs = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "seg-inputs"},
              "data": {str(i): f"/d/{i}" for i in range(5)}}
    run, run_map = job_run(job, inputs, [1, 4], "seg-r1")
    assert run["spec"]["completions"] == 2 and run["spec"]["parallelism"] == 2 and run["spec"]["maxFailedIndexes"] == 2
    assert run["spec"]["template"]["spec"]["volumes"][0]["configMap"]["name"] == "seg-r1-inputs"
    assert run_map["data"] == {"0": "/d/1", "1": "/d/4"} and job["spec"]["completions"] == 5
    assert index_ranges([5, 0, 1, 2, 9, 8]) == "0-2,5,8-9" and parse_ranges("0-2,5,8-9") == [0, 1, 2, 5, 8, 9]


def test_the_im_calls_refuse_an_application(kube, provider, kubeconfig):
    record = deploy_htc(provider, kubeconfig)
    with pytest.raises(lifecycle.LifecycleError, match="runs on Kubernetes"):
        lifecycle.inspect(record.id)
    with pytest.raises(lifecycle.LifecycleError, match="runs through IM"):
        with Store() as store:
            other = store.create(name="vm", im_url="http://127.0.0.1:1", kind="radl", payload="x")
        apps.inspect_app(other.id)


def test_reconfigure_a_notebook_applies_what_the_dry_run_shows(kube, kubeconfig):
    inputs = yaml.safe_load((ROOT / "tests" / "fixtures" / "platform" / "notebook-inputs.yaml").read_text())
    inputs |= {"onedata_token": TOKEN, "notebook_token": "nb-token"}
    record = apps.deploy_app(NOTEBOOK, options=options(inputs), kubeconfig=kubeconfig)
    image = "quay.io/jupyter/scipy-notebook:2025-01-01"
    _, plan = apps.reconfigure_app(record.id, inputs={"image": image}, dry_run=True, roots=[str(ROOT)])
    [change] = [c for c in plan.changes if c["kind"] == "StatefulSet"]
    assert change["path"] == "spec.template.spec.containers" and image in json.dumps(change["after"])
    assert any("Secrets of onedata_token, notebook_token unchanged" in line for line in plan.lines)
    live = kube.get("statefulsets", "notebook")["spec"]["template"]["spec"]["containers"][0]["image"]
    assert live != image  # a dry run
    apps.reconfigure_app(record.id, inputs={"image": image, "notebook_token": "new-token"}, roots=[str(ROOT)])
    assert kube.get("statefulsets", "notebook")["spec"]["template"]["spec"]["containers"][0]["image"] == image
    import base64

    assert base64.b64decode(kube.get("secrets", "notebook-token")["data"]["token"]) == b"new-token"
    with Store() as store:
        assert store.get(record.id).inputs["notebook_token"] == "***"
