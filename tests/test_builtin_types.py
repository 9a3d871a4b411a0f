"""The type libraries the package carries: the PRIMAGE types and the OASIS simple profile for
TOSCA 2.0, served offline by their published URL or profile name; `types pull` and the import
map serve 2.0 profiles (a profile.yaml importing its type files) like any other import."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path

import pytest
import yaml

import primage_tosca
from conftest import ROOT, SHARED, needs_corpus
from primage_tosca import cli
from primage_tosca.imports.loader import load_sources
from primage_tosca.imports.policy import Fetcher, ImportMap, ImportPolicy, UrlCache
from primage_tosca.imports.pull import pull
from primage_tosca.profiles import BUILTIN_PROFILES, SIMPLE_2_0, builtin_urls, packaged_files
from primage_tosca.source.document import ParseCache

PRIMAGE_URL = "https://raw.githubusercontent.com/primage/primage_tosca/main/types/primage.yaml"
OASIS_URL = ("https://raw.githubusercontent.com/oasis-open/tosca-community-contributions/master/"
             "profiles/org/oasis-open/simple/2.0/profile.yaml")
SIMPLE_FILES = sorted(p.name for p in SIMPLE_2_0.glob("*.yaml"))


def load(path: Path, **policy):
    return load_sources(str(path), ImportPolicy(**policy), cache=ParseCache())


def blueprint_importing(folder: Path, reference: str, name: str = "cluster.yaml") -> Path:
    """The PRIMAGE Kubernetes cluster blueprint, its types imported by ``reference``."""
    text = (ROOT / "blueprints" / "kubernetes-cluster.yaml").read_text(encoding="utf-8")
    assert "  - ../types/primage.yaml\n" in text
    path = folder / name
    path.write_text(text.replace("  - ../types/primage.yaml\n", f"  - {reference}\n"), encoding="utf-8")
    return path


IMAGES = {"front_image": "ost://cloud.example.org/ubuntu", "wn_image": "ost://cloud.example.org/ubuntu"}


# -- the PRIMAGE types by URL -----------------------------------------------------------------


def test_primage_types_by_url_compile_as_by_relative_path(tmp_path):
    by_url = blueprint_importing(tmp_path, PRIMAGE_URL)
    report = primage_tosca.validate(str(by_url))
    assert [d for d in report.diagnostics if d.severity.value == "error"] == []
    relative = primage_tosca.compile(str(ROOT / "blueprints" / "kubernetes-cluster.yaml"), inputs=IMAGES,
                                     roots=[str(ROOT)])
    assert primage_tosca.compile(str(by_url), inputs=IMAGES) == relative


def test_the_url_serves_the_types_files_and_their_relative_imports(tmp_path):
    sources = load(blueprint_importing(tmp_path, PRIMAGE_URL))
    assert sources.diagnostics == []
    assert [d.url for d in sources.imported_documents()] == [PRIMAGE_URL, PRIMAGE_URL.replace("primage.yaml",
                                                                                             "primage-compute.yaml")]
    assert [Path(d.real_path) for d in sources.imported_documents()] == [
        (ROOT / "types" / "primage.yaml").resolve(), (ROOT / "types" / "primage-compute.yaml").resolve()]


def test_only_main_and_this_release_are_served(tmp_path):
    tagged = PRIMAGE_URL.replace("/main/", f"/v{primage_tosca.__version__}/")
    assert load(blueprint_importing(tmp_path, tagged)).diagnostics == []
    other = PRIMAGE_URL.replace("/main/", "/v0.0.1/")
    [problem] = load(blueprint_importing(tmp_path, other)).diagnostics
    assert problem.rule == "PT201" and other in problem.message


def test_a_path_climbing_out_of_a_builtin_folder_is_not_served(tmp_path):
    climbing = PRIMAGE_URL.replace("types/primage.yaml", "types/../pyproject.toml")
    [problem] = load(blueprint_importing(tmp_path, climbing)).diagnostics
    assert problem.rule == "PT201"


def test_the_import_map_wins_over_the_builtin_copy(tmp_path):
    own = tmp_path / "own-primage.yaml"
    own.write_text("tosca_definitions_version: tosca_simple_yaml_1_3\n", encoding="utf-8")
    sources = load(blueprint_importing(tmp_path, PRIMAGE_URL), import_map=ImportMap({PRIMAGE_URL: own}))
    assert [d.real_path for d in sources.imported_documents()] == [str(own)]


# -- TOSCA 2.0 profiles by name ------------------------------------------------------------------


def test_profile_names_are_served_from_the_package(tmp_path):
    main = tmp_path / "main.yaml"
    main.write_text("tosca_definitions_version: tosca_2_0\nimports:\n  - profile: eu.primage.types:1.0\n",
                    encoding="utf-8")
    sources = load(main)
    assert sources.diagnostics == []
    names = [Path(d.real_path).name for d in sources.imported_documents()]
    # the PRIMAGE profile imports the simple profile by name in turn, which imports its type files
    assert names[:2] == ["primage-2.0.yaml", "profile.yaml"] and sorted(names[1:]) == SIMPLE_FILES
    assert all(d.url.startswith("https://") for d in sources.imported_documents())


def test_an_unknown_profile_name_is_located_and_names_the_known_ones(tmp_path):
    main = tmp_path / "main.yaml"
    main.write_text("tosca_definitions_version: tosca_2_0\nimports:\n  - profile: com.example.none:1.0\n",
                    encoding="utf-8")
    [problem] = load(main).diagnostics
    assert problem.rule == "PT200" and (problem.line, problem.column) == (3, 5)
    assert "org.oasis-open.simple:2.0" in problem.hint and "import map" in problem.hint


def test_the_import_map_serves_a_profile_name(tmp_path):
    own = tmp_path / "lib" / "profile.yaml"
    own.parent.mkdir()
    own.write_text("tosca_definitions_version: tosca_2_0\nprofile: com.example.own:1.0\n", encoding="utf-8")
    main = tmp_path / "main.yaml"
    main.write_text("tosca_definitions_version: tosca_2_0\nimports:\n  - profile: com.example.own:1.0\n"
                    "    namespace_prefix: own\n", encoding="utf-8")
    import_map = tmp_path / "import-map.yaml"
    import_map.write_text('"com.example.own:1.0": lib/profile.yaml\n', encoding="utf-8")
    sources = load(main, import_map=ImportMap.from_file(import_map))
    assert sources.diagnostics == [] and [d.real_path for d in sources.imported_documents()] == [str(own)]
    assert sources.edges[0].namespace_prefix == "own"


@pytest.mark.parametrize("entry, says", [
    ("{profile: 5}", "must name a profile"),
    ("{profile: ''}", "must name a profile"),
    ("{profile: a:1, file: b.yaml}", "not both"),
])
def test_malformed_profile_imports_are_pt205(tmp_path, entry, says):
    main = tmp_path / "main.yaml"
    main.write_text(f"tosca_definitions_version: tosca_2_0\nimports:\n  - {entry}\n", encoding="utf-8")
    [problem] = load(main).diagnostics
    assert problem.rule == "PT205" and says in problem.message and problem.line == 3


def test_the_catalogue_is_consistent():
    for prefix, folder in builtin_urls().items():
        assert prefix.startswith("https://") and prefix.endswith("/") and folder.is_dir(), prefix
    for name, url in BUILTIN_PROFILES.items():
        [(prefix, folder)] = [(p, f) for p, f in builtin_urls().items() if url.startswith(p)][:1]
        declared = yaml.safe_load((folder / url.removeprefix(prefix)).read_text(encoding="utf-8"))
        assert declared["profile"] == name and declared["tosca_definitions_version"] == "tosca_2_0"


def test_packaged_files_are_the_profiles_the_primage_types_and_recipes():
    profiles = SIMPLE_2_0.parent.parent
    names = {p.relative_to(profiles).as_posix() for p in packaged_files()}
    for version in ("1_0", "1_1", "1_2", "1_3"):
        assert f"tosca_simple_yaml_{version}.yaml" in names
    assert {f"primage/types/{p.name}" for p in (ROOT / "types").glob("*.yaml")} <= names
    assert {f"primage/recipes/{p.name}" for p in (ROOT / "recipes").iterdir()} <= names
    assert {f"org.oasis-open.simple/2.0/{name}" for name in SIMPLE_FILES} <= names
    # one copy: in a checkout the package links to the repository's types/ and recipes/ folders
    for folder in ("types", "recipes"):
        assert (profiles / "primage" / folder).resolve() == (ROOT / folder).resolve()


# -- 2.0 profiles by URL: the import map and `types pull` -----------------------------------------


def test_the_import_map_serves_a_2_0_profile_and_its_type_files(tmp_path):
    prefix = "https://profiles.example.org/simple/2.0/"
    main = tmp_path / "main.yaml"
    main.write_text(f"tosca_definitions_version: tosca_2_0\nimports:\n  - file: {prefix}profile.yaml\n",
                    encoding="utf-8")
    sources = load(main, import_map=ImportMap({prefix: SIMPLE_2_0}))
    assert sources.diagnostics == []
    assert sorted(d.url.removeprefix(prefix) for d in sources.imported_documents()) == SIMPLE_FILES


@needs_corpus()
def test_the_corpus_import_map_serves_the_community_2_0_profile(tmp_path):
    url = ("https://raw.githubusercontent.com/xDaryamo/tosca-community-contributions/refs/heads/master/"
           "profiles/org/oasis-open/simple/2.0/profile.yaml")
    main = tmp_path / "main.yaml"
    main.write_text(f"tosca_definitions_version: tosca_2_0\nimports:\n  - file: {url}\n", encoding="utf-8")
    import_map = ImportMap.from_file(SHARED / "corpus" / "type-libraries" / "import-map.json")
    sources = load(main, import_map=import_map)
    assert sources.diagnostics == [] and len(sources.imported_documents()) == 9


class _Files(http.server.BaseHTTPRequestHandler):
    files: dict[str, bytes] = {}
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 - the http.server API
        self.hits.append(self.path)
        body = self.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def files_server(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    _Files.files = {f"/simple/2.0/{p.name}": p.read_bytes() for p in SIMPLE_2_0.glob("*.yaml")}
    _Files.hits = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


HTTP_FETCHER = Fetcher(timeout=2.0, deadline=5.0, allow_http=True)


def test_pull_fetches_a_2_0_profile_with_its_type_files_then_it_works_offline(tmp_path, files_server):
    url = f"{files_server}/simple/2.0/profile.yaml"
    cache = UrlCache(tmp_path / "cache")
    results = pull([url], cache, HTTP_FETCHER)
    assert [r.error for r in results] == [None] * 9
    assert sorted(r.url.rsplit("/", 1)[1] for r in results) == SIMPLE_FILES
    assert all(r.imported_by == url for r in results[1:])
    main = tmp_path / "main.yaml"
    main.write_text(f"tosca_definitions_version: tosca_2_0\nimports:\n  - file: {url}\n", encoding="utf-8")
    _Files.hits.clear()
    sources = load(main, cache=cache, allow_http=True)  # offline
    assert sources.diagnostics == [] and len(sources.imported_documents()) == 9 and _Files.hits == []


def test_pull_reports_a_missing_imported_file_and_keeps_the_rest(tmp_path, files_server):
    del _Files.files["/simple/2.0/node_types.yaml"]
    results = pull([f"{files_server}/simple/2.0/profile.yaml"], UrlCache(tmp_path / "cache"), HTTP_FETCHER)
    [failed] = [r for r in results if r.error]
    assert failed.url.endswith("node_types.yaml") and "404" in failed.error and failed.imported_by.endswith("profile.yaml")
    assert len([r for r in results if r.path]) == 8


def test_pull_follows_each_url_once_and_is_bounded(tmp_path, files_server):
    header = "tosca_definitions_version: tosca_simple_yaml_1_3\nimports:\n"
    _Files.files = {"/a.yaml": (header + "  - b.yaml\n  - http://[::1/x.yaml\n  - ftp://example.org/c.yaml\n"
                                "  - {file: d.yaml, repository: undefined}\n").encode(),
                    "/b.yaml": (header + "  - a.yaml\n").encode(), "/junk.yaml": b"{ not: [yaml"}
    results = pull([f"{files_server}/a.yaml", f"{files_server}/junk.yaml"], UrlCache(tmp_path / "c"), HTTP_FETCHER)
    assert [r.url.rsplit("/", 1)[1] for r in results] == ["a.yaml", "junk.yaml", "b.yaml"]
    assert sorted(_Files.hits) == ["/a.yaml", "/b.yaml", "/junk.yaml"]
    bounded = pull([f"{files_server}/a.yaml"], UrlCache(tmp_path / "d"), HTTP_FETCHER, max_files=1)
    assert [r.path is not None for r in bounded] == [True, False] and "stopped after 1" in bounded[1].error


def test_pull_never_fetches_what_the_package_serves(tmp_path, files_server):
    header = "tosca_definitions_version: tosca_simple_yaml_1_3\nimports:\n"
    _Files.files = {"/lib.yaml": (header + f"  - {PRIMAGE_URL}\n  - profile: org.oasis-open.simple:2.0\n").encode()}
    results = pull([f"{files_server}/lib.yaml"], UrlCache(tmp_path / "c"), HTTP_FETCHER)
    assert [(r.url, r.builtin) for r in results] == [(f"{files_server}/lib.yaml", False), (PRIMAGE_URL, True)]


def test_types_pull_of_a_builtin_url_needs_no_network(capsys):
    assert cli.main(["types", "pull", OASIS_URL]) == 0
    assert "served by primage_tosca itself" in capsys.readouterr().out


def test_types_builtin_lists_the_catalogue(capsys):
    assert cli.main(["types", "builtin"]) == 0
    out = capsys.readouterr().out
    assert "org.oasis-open.simple:2.0" in out and "eu.primage.types:1.0" in out and PRIMAGE_URL.rsplit("/", 1)[0] in out
