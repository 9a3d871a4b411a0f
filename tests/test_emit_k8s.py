"""compile --to k8s: the manifests are checked against the Kubernetes API with
the `kubernetes` client's models (every field must survive a round trip
through the model classes, and required fields are enforced by them)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import primage_tosca.checks.platform  # noqa: F401 - registers the platform check
from primage_tosca.api import load_options
from primage_tosca.emit import compile_results

kubernetes = pytest.importorskip("kubernetes")

REPO = Path(__file__).resolve().parent.parent
BLUEPRINTS = REPO / "blueprints"
FIXTURES = REPO / "tests" / "fixtures" / "platform"
MODELS = {"Secret": "V1Secret", "ConfigMap": "V1ConfigMap", "Job": "V1Job", "Service": "V1Service",
          "StatefulSet": "V1StatefulSet"}


def inputs_of(name: str, **more) -> dict:
    return {**yaml.safe_load((FIXTURES / name).read_text()), **more}


def compile_k8s(blueprint: str, inputs: dict, include_secrets: bool = False):
    options = load_options(inputs=inputs, roots=[str(REPO)], use_config=False)
    [result] = compile_results(str(BLUEPRINTS / blueprint), "k8s", options=options, include_secrets=include_secrets)
    return result


def schema_problems(document: dict) -> str | None:
    """None when the document is a valid object of its kind (per the client's models)."""
    client = kubernetes.client.ApiClient()
    model = MODELS.get(document.get("kind"))
    if model is None:
        return f"unexpected kind {document.get('kind')!r}"
    try:
        obj = client._ApiClient__deserialize(document, model)
    except (ValueError, TypeError) as exc:
        return f"{model}: {exc}"
    back = client.sanitize_for_serialization(obj)
    return None if back == document else f"{model}: fields lost in the round trip: {back} != {document}"


def documents(text: str) -> list[dict]:
    return [d for d in yaml.safe_load_all(text) if d is not None]


def test_validator_catches_wrong_manifests() -> None:
    assert schema_problems({"apiVersion": "batch/v1", "kind": "Job", "spec": {"completionz": 1, "template": {}}})
    assert schema_problems({"apiVersion": "v1", "kind": "Service", "spec": {"ports": [{"name": "x"}]}})  # no port


def test_htc_job_is_an_indexed_job() -> None:
    result = compile_k8s("htc-segmentation.yaml", inputs_of("htc-inputs.yaml"))
    assert result.ok, [d.message for d in result.errors]
    docs = documents(result.text)
    assert [schema_problems(d) for d in docs] == [None] * len(docs)
    assert [d["kind"] for d in docs] == ["Secret", "Secret", "ConfigMap", "Job"]
    job = docs[-1]
    assert job["spec"]["completionMode"] == "Indexed"
    assert job["spec"]["completions"] == 3 and job["spec"]["parallelism"] == 3  # 4 asked, 3 inputs
    assert docs[2]["data"] == {str(i): f"/mnt/onedata/onedata/primage-data/inputs/p00{i + 1}.nii.gz"
                               for i in range(3)}
    pod = job["spec"]["template"]["spec"]
    assert pod["imagePullSecrets"] == [{"name": "registry-pull"}]
    sidecar = pod["initContainers"][0]
    assert sidecar["restartPolicy"] == "Always" and sidecar["securityContext"]["privileged"]
    token = next(e for e in sidecar["env"] if e["name"] == "ONECLIENT_ACCESS_TOKEN")
    assert token["valueFrom"]["secretKeyRef"] == {"name": "datahub-onedata", "key": "token"}
    main = pod["containers"][0]
    assert main["image"] == "registry.example.org:5000/primage/segmentation:1.2"
    assert {"name": "OUTPUT_DIR", "value": "/mnt/onedata/onedata/primage-data/results"} in main["env"]


def test_no_secret_value_in_the_stream_without_include_secrets() -> None:
    inputs = inputs_of("htc-inputs.yaml", onedata_token="TOKEN-1234", registry_password="PASSWORD-5678")
    text = compile_k8s("htc-segmentation.yaml", inputs).text
    assert "TOKEN-1234" not in text and "PASSWORD-5678" not in text
    assert "REPLACE-ME: input onedata_token" in text and "REPLACE-ME: input registry_password" in text
    with_secrets = compile_k8s("htc-segmentation.yaml", inputs, include_secrets=True).text
    secrets = [d for d in documents(with_secrets) if d["kind"] == "Secret"]
    assert "TOKEN-1234" in str(secrets) and "PASSWORD-5678" in str(secrets)
    others = [d for d in documents(with_secrets) if d["kind"] != "Secret"]
    assert "TOKEN-1234" not in str(others) and "PASSWORD-5678" not in str(others)


def test_include_secrets_needs_their_values() -> None:
    result = compile_k8s("htc-segmentation.yaml", inputs_of("htc-inputs.yaml"), include_secrets=True)
    assert not result.ok
    assert {d.rule for d in result.errors} >= {"PT411"}


def test_notebook_is_a_statefulset_and_a_service_with_the_url() -> None:
    result = compile_k8s("jupyter-notebook.yaml", inputs_of("notebook-inputs.yaml"))
    assert result.ok, [d.message for d in result.errors]
    docs = documents(result.text)
    assert [schema_problems(d) for d in docs] == [None] * len(docs)
    assert [d["kind"] for d in docs] == ["Secret", "Secret", "Service", "StatefulSet"]
    service, stateful = docs[2], docs[3]
    assert service["spec"]["type"] == "NodePort" and service["spec"]["ports"][0]["nodePort"] == 30888
    assert service["metadata"]["annotations"]["primage.eu/url"] == "http://kube.example.org:30888/"
    assert "#   notebook_url: http://kube.example.org:30888/" in result.text
    container = stateful["spec"]["template"]["spec"]["containers"][0]
    assert container["env"] == [{"name": "JUPYTER_TOKEN",
                                 "valueFrom": {"secretKeyRef": {"name": "notebook-token", "key": "token"}}}]
    assert stateful["spec"]["selector"]["matchLabels"] == service["spec"]["selector"]


def test_output_is_deterministic() -> None:
    first = compile_k8s("htc-segmentation.yaml", inputs_of("htc-inputs.yaml")).text
    assert first == compile_k8s("htc-segmentation.yaml", inputs_of("htc-inputs.yaml")).text


def test_unknown_selection_is_an_error_and_empty_is_pt721() -> None:
    unknown = compile_k8s("htc-segmentation.yaml", {**inputs_of("htc-inputs.yaml"), "input_listing": None})
    assert not unknown.ok
    empty = compile_k8s("htc-segmentation.yaml", inputs_of("htc-inputs.yaml", input_pattern="scans/*.dcm"))
    assert [d.rule for d in empty.errors] == ["PT721"]
    assert empty.errors[0].line == 77  # the input_pattern line of the job


def test_cluster_blueprint_has_nothing_for_kubernetes() -> None:
    options = load_options(inputs={"front_image": "a", "wn_image": "b"}, roots=[str(REPO)], use_config=False)
    [result] = compile_results(str(BLUEPRINTS / "kubernetes-cluster.yaml"), "k8s", options=options)
    assert not result.ok and "PT702" in {d.rule for d in result.errors}


def test_cli_writes_the_stream(tmp_path: Path) -> None:
    inputs = tmp_path / "inputs.yaml"
    inputs.write_text((FIXTURES / "htc-inputs.yaml").read_text())
    out = tmp_path / "out"
    out.mkdir()
    run = subprocess.run([sys.executable, "-m", "primage_tosca", "compile", "--to", "k8s",
                          "blueprints/htc-segmentation.yaml", "--root", ".", "--inputs", str(inputs), "-o", str(out) + "/"],
                         cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    written = out / "htc-segmentation.yaml"
    assert [d["kind"] for d in documents(written.read_text())][-1] == "Job"
