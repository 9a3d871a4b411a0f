"""The Galaxy client against the local fake server: shapes, paging, typed
errors, timeouts, retries, memoisation and the plain-http policy."""

from __future__ import annotations

import io
import threading
import time

import pytest
from galaxy_server import FakeGalaxy, collection_archive, role_archive

from primage_tosca.galaxy.client import GalaxyClient, Http, HttpSettings, check_url, server_url
from primage_tosca.galaxy.errors import (ArchiveError, BadResponse, GalaxyError, NetworkRefused, NotFound,
                                         ServerError, Timeout)

FAST = HttpSettings(connect_timeout=2, read_timeout=2, retries=2, backoff=0.01)


@pytest.fixture
def galaxy():
    server = FakeGalaxy(page_size=2, v3_page_size=2).start()
    yield server
    server.stop()


def client_for(galaxy: FakeGalaxy, settings: HttpSettings = FAST) -> GalaxyClient:
    return GalaxyClient(galaxy.url, Http(settings, pool_size=4))


def test_server_url_precedence(monkeypatch):
    monkeypatch.delenv("PRIMAGE_TOSCA_GALAXY_SERVER", raising=False)
    assert server_url() == "https://galaxy.ansible.com"
    monkeypatch.setenv("PRIMAGE_TOSCA_GALAXY_SERVER", "https://galaxy.example.org/")
    assert server_url() == "https://galaxy.example.org"
    assert server_url("http://127.0.0.1:9") == "http://127.0.0.1:9"


def test_role_lookup_and_paged_versions(galaxy):
    versions = {v: role_archive("acme.web", v) for v in ("0.9", "1.0.0", "1.2.0", "1.10.0", "2.0.0-beta")}
    galaxy.add_role("acme", "web", versions)
    client = client_for(galaxy)
    role = client.lookup_role("acme", "web")
    assert role["name"] == "web" and role["github_branch"] == "master"
    found = client.role_versions(role["id"])
    assert [v["name"] for v in found] == list(versions)  # three pages of two
    assert galaxy.count(f"/api/v1/roles/{role['id']}/versions/") == 3
    assert client.lookup_role("acme", "nothing") is None


def test_collection_versions_follow_v3_links(galaxy):
    galaxy.add_collection("acme", "tools", {v: collection_archive("acme", "tools", v)
                                            for v in ("1.0.0", "1.1.0", "2.0.0")})
    client = client_for(galaxy)
    assert client.collection_versions("acme", "tools") == ["1.0.0", "1.1.0", "2.0.0"]
    detail = client.collection_version("acme", "tools", "1.1.0")
    assert detail["download_url"].startswith(galaxy.url) and len(detail["artifact"]["sha256"]) == 64
    with pytest.raises(NotFound):
        client.collection_versions("acme", "missing")


def test_each_answer_is_fetched_once_however_many_threads_ask(galaxy):
    galaxy.delay = 0.05
    galaxy.add_role("acme", "web", {"1.0": role_archive("acme.web", "1.0")})
    client = client_for(galaxy)
    results = []
    threads = [threading.Thread(target=lambda: results.append(client.lookup_role("acme", "web")["id"]))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1 and len(results) == 8
    assert galaxy.count("/api/v1/roles/?") == 1
    assert galaxy.count("/api/") == 2  # the root once, the lookup once


def test_not_found_is_typed(galaxy):
    galaxy.faults["/api/v1/roles/"] = "404"
    with pytest.raises(NotFound, match="HTTP 404"):
        client_for(galaxy).lookup_role("acme", "web")


def test_server_errors_are_retried_then_typed(galaxy):
    galaxy.faults["/api/v1/roles/"] = "500"
    started = time.perf_counter()
    with pytest.raises(ServerError, match="HTTP 500"):
        client_for(galaxy).lookup_role("acme", "web")
    assert galaxy.count("/api/v1/roles/") == 3  # one try and two retries
    assert time.perf_counter() - started < 2


def test_one_failure_then_success_is_retried_transparently(galaxy):
    galaxy.add_role("acme", "web", {"1.0": role_archive("acme.web", "1.0")})
    galaxy.faults["/api/v1/roles/?"] = "500-once"
    assert client_for(galaxy).lookup_role("acme", "web")["name"] == "web"
    assert galaxy.count("/api/v1/roles/?") == 2


def test_a_slow_answer_is_a_timeout(galaxy):
    galaxy.faults["/api/v1/roles/"] = ("slow", 1.5)
    settings = HttpSettings(connect_timeout=1, read_timeout=0.3, retries=1, backoff=0.01)
    started = time.perf_counter()
    with pytest.raises(Timeout, match="no answer within"):
        client_for(galaxy, settings).lookup_role("acme", "web")
    assert time.perf_counter() - started < 1.5
    assert galaxy.count("/api/v1/roles/") == 2  # a timed-out GET is retried once


def test_malformed_json_is_a_bad_response(galaxy):
    galaxy.faults["/api/v1/roles/"] = "malformed"
    with pytest.raises(BadResponse, match="not JSON"):
        client_for(galaxy).lookup_role("acme", "web")
    assert galaxy.count("/api/v1/roles/") == 1  # not retried: the server answered


def test_wrong_shapes_are_bad_responses(galaxy):
    galaxy.files["/api/v1/roles/"] = b"[]"
    galaxy.files["/weird/api/"] = b'{"available_versions": {"v1": "v1/"}}'
    client = client_for(galaxy)
    role_id = galaxy.add_role("acme", "web", {}).id
    galaxy.faults[f"/api/v1/roles/{role_id}/versions/"] = "malformed"
    with pytest.raises(BadResponse):
        client.role_versions(role_id)
    weird = GalaxyClient(galaxy.url + "/weird/api", Http(FAST))
    with pytest.raises(BadResponse, match="no v3 API"):
        weird.collection_versions("a", "b")


def test_not_a_galaxy_server(galaxy):
    galaxy.faults["/api/"] = "404"
    with pytest.raises(BadResponse, match="does not look like a Galaxy server"):
        client_for(galaxy).lookup_role("acme", "web")


def test_a_refused_connection_is_a_galaxy_error():
    closed = GalaxyClient("http://127.0.0.1:9", Http(HttpSettings(connect_timeout=1, retries=0)))
    with pytest.raises(GalaxyError, match="cannot connect"):
        closed.lookup_role("acme", "web")


def test_download_has_a_size_cap(galaxy):
    galaxy.files["/big.tar.gz"] = b"x" * 5000
    http = Http(FAST)
    out = io.BytesIO()
    with pytest.raises(ArchiveError, match="over the 1,000-byte cap"):
        http.download(galaxy.url + "/big.tar.gz", out, max_bytes=1000)
    sha, size = http.download(galaxy.url + "/big.tar.gz", io.BytesIO(), max_bytes=10_000)
    assert size == 5000 and len(sha) == 64


def test_plain_http_only_to_loopback_unless_allowed():
    check_url("https://galaxy.ansible.com/api/", FAST)
    check_url("http://127.0.0.1:8000/api/", FAST)
    check_url("http://localhost/api/", FAST)
    with pytest.raises(NetworkRefused, match="plain http"):
        check_url("http://galaxy.example.org/api/", FAST)
    check_url("http://galaxy.example.org/api/", HttpSettings(allow_http=True))
    with pytest.raises(NetworkRefused):
        check_url("file:///etc/passwd", FAST)
