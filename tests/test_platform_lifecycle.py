"""The platform's infrastructure blueprints deploy, reconfigure and undeploy
on a real IM 2.0.0 (Dummy cloud, every VM 127.0.0.1, contextualization off).

The two application blueprints (HTC job, notebook) run on the cluster as
Kubernetes objects (`compile --to k8s`): through IM they hold no virtual
machine, so they are not deployed here."""

from __future__ import annotations

import pytest

from im_server import ROOT, im_server, needs_im  # noqa: F401
from primage_tosca import lifecycle

pytestmark = needs_im

IMAGE = "ost://cloud.example.org/ubuntu-22.04"
CLUSTER = {"front_image": IMAGE, "wn_image": IMAGE}
STORAGE = {"onedata_provider": "oneprovider.example.org", "onedata_space": "primage",
           "onedata_token": "secret-for-the-test-only", "image": IMAGE}


@pytest.fixture
def im(im_server, monkeypatch):  # noqa: F811
    monkeypatch.setenv("PRIMAGE_TOSCA_IM_URL", im_server.url)
    monkeypatch.setenv("PRIMAGE_TOSCA_IM_AUTH", str(im_server.auth_file))
    return im_server


def test_cluster_deploys_scales_and_undeploys(im):
    record = lifecycle.deploy(ROOT / "blueprints" / "kubernetes-cluster.yaml", inputs=CLUSTER, roots=[ROOT],
                              contextualize=False, timeout=60)
    assert record.state == "configured"
    assert len(lifecycle.inspect(record.id)["vms"]) == 2  # front end and one working node

    result = lifecycle.reconfigure(record.id, inputs={**CLUSTER, "min_nodes": 2}, roots=[ROOT],
                                   contextualize=False, timeout=60)
    assert result.applied and result.plan.scaled == {"wn": (1, 2)}
    assert len(lifecycle.inspect(record.id)["vms"]) == 3

    lifecycle.undeploy(record.id)
    assert lifecycle.undeploy(record.id).state == "deleted"  # twice is fine


def test_storage_deploys_reconfigures_and_undeploys(im):
    record = lifecycle.deploy(ROOT / "blueprints" / "onedata-storage.yaml", inputs=STORAGE, roots=[ROOT],
                              contextualize=False, timeout=60)
    assert record.state == "configured"
    assert "secret-for-the-test-only" not in str(record.inputs)  # masked in the store

    result = lifecycle.reconfigure(record.id, inputs={**STORAGE, "mount_path": "/data/onedata"}, roots=[ROOT],
                                   contextualize=False, timeout=60)
    assert result.applied
    assert lifecycle.inspect(record.id)["state"] == "configured"
    lifecycle.undeploy(record.id)
