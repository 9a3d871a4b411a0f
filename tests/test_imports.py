"""Imports: local files, the import map, the URL cache, the network on
request, and the safety policy that guards all of them."""

from __future__ import annotations

import http.server
import json
import os
import threading
import time
from pathlib import Path

import pytest

from conftest import FIXTURES
from primage_tosca.api import load_options
from primage_tosca.imports.template import LoadOptions
from primage_tosca.source.document import ParseCache
from primage_tosca.imports.policy import (
    Fetcher,
    FetchError,
    ImportMap,
    ImportMapError,
    ImportPolicy,
    UrlCache,
    resolve_url,
)
from primage_tosca.imports.loader import SourceSet, load_sources
from primage_tosca.validation import validate

IMPORTS = FIXTURES / "imports"
RELATIVE = IMPORTS / "relative"
MAPPED = IMPORTS / "mapped"
MAP_YAML = MAPPED / "maps" / "import-map.yaml"
MAP_JSON = MAPPED / "maps" / "import-map.json"
HEADER = "tosca_definitions_version: tosca_simple_yaml_1_0\n"


def load(path, **policy) -> SourceSet:
    return load_sources(str(path), ImportPolicy(**policy), cache=ParseCache())


def rules(sources) -> list[str]:
    return [d.rule for d in sources.diagnostics]


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def importing(*references: str) -> str:
    return HEADER + "imports:\n" + "".join(f"  - {ref}\n" for ref in references)


def real_paths(sources) -> list[str]:
    return [d.real_path for d in sources.documents]


# -- local files ------------------------------------------------------------------------

def test_relative_imports_and_subfolders():
    sources = load(RELATIVE / "main.yaml")
    assert sources.diagnostics == [] and sources.complete
    names = sorted(os.path.relpath(p, RELATIVE) for p in real_paths(sources))
    assert names == ["common.yaml", os.path.join("lib", "types.yaml"), "main.yaml"]


def test_diamond_imports_load_a_file_once():
    sources = load(RELATIVE / "main.yaml")
    common = [d for d in sources.documents if d.real_path.endswith("common.yaml")]
    assert len(common) == 1
    # both edges lead to the same document
    targets = {id(e.target) for e in sources.edges if e.reference.endswith("common.yaml")}
    assert targets == {id(common[0])}


def test_relative_fixture_validates_clean():
    report = validate(str(RELATIVE / "main.yaml"), LoadOptions(cache=ParseCache()))
    assert report.diagnostics == []


def test_import_edge_is_located_where_written(tmp_path):
    main = write(tmp_path, "main.yaml", importing("a.yaml", "missing.yaml"))
    write(tmp_path, "a.yaml", HEADER)
    sources = load(main)
    [problem] = sources.diagnostics
    assert (problem.rule, problem.line, problem.column) == ("PT200", 4, 5)
    assert problem.path == ("imports", 1)
    assert "missing.yaml" in problem.message and not sources.complete


def test_every_import_form(tmp_path):
    for name in "abcd":
        write(tmp_path, f"{name}.yaml", HEADER)
    main = write(tmp_path, "main.yaml", HEADER + """\
imports:
  - a.yaml
  - short: b.yaml
  - long:
      file: c.yaml
      namespace_prefix: lng
  - file: d.yaml
""")
    sources = load(main)
    assert sources.diagnostics == []
    assert [e.name for e in sources.edges] == [None, "short", "long", None]
    assert sources.edges[2].namespace_prefix == "lng"
    assert all(e.target is not None for e in sources.edges)


@pytest.mark.parametrize("imports, where", [
    ("imports: a.yaml\n", (2, 10)),
    ("imports:\n  - 12\n", (3, 5)),
    ("imports:\n  - null\n", (3, 5)),
    ("imports:\n  - [a.yaml]\n", (3, 5)),
    ("imports:\n  - {a: a.yaml, b: b.yaml}\n", (3, 5)),
    ("imports:\n  - x: {file: a.yaml, colour: red}\n", (3, 5)),
    ("imports:\n  - x: {repository: r}\n", (3, 5)),
    ("imports:\n  - x: {file: a.yaml, repository: nowhere}\n", (3, 8)),
    ("imports:\n  - x: 3\n", (3, 5)),
])
def test_malformed_imports_are_pt205(tmp_path, imports, where):
    main = write(tmp_path, "main.yaml", HEADER + imports)
    sources = load(main)
    assert rules(sources) == ["PT205"]
    assert (sources.diagnostics[0].line, sources.diagnostics[0].column) == where


def test_a_problem_inside_an_imported_file_is_located_there(tmp_path):
    main = write(tmp_path, "main.yaml", importing("lib/broken.yaml"))
    write(tmp_path, "lib/broken.yaml", HEADER + "node_types: [unclosed\n")
    sources = load(main)
    [problem] = sources.diagnostics
    assert problem.rule == "PT100" and problem.file.endswith("broken.yaml") and problem.line == 3


def test_imported_file_that_is_not_a_mapping(tmp_path):
    main = write(tmp_path, "main.yaml", importing("list.yaml"))
    write(tmp_path, "list.yaml", "- a\n- b\n")
    sources = load(main)
    assert rules(sources) == ["PT101"]
    assert sources.diagnostics[0].file.endswith("list.yaml")


# -- the roots: what local imports may reach ---------------------------------------------------

@pytest.fixture
def climbing(tmp_path) -> Path:
    """project/main.yaml imports ../shared/lib.yaml, outside its folder."""
    write(tmp_path, "shared/lib.yaml", HEADER)
    return write(tmp_path, "project/main.yaml", importing("../shared/lib.yaml"))


def test_local_import_climbing_out_of_the_root_is_refused(climbing):
    sources = load(climbing)
    [problem] = sources.diagnostics
    assert problem.rule == "PT202"
    assert "outside the allowed roots" in problem.message
    assert "--root" in problem.hint and "--allow-outside-roots" in problem.hint
    assert len(sources.documents) == 1  # nothing outside was read


def test_climbing_is_allowed_when_asked(climbing):
    assert load(climbing, allow_outside_roots=True).diagnostics == []


def test_climbing_is_allowed_into_a_configured_root(climbing):
    assert load(climbing, roots=[str(climbing.parent.parent)]).diagnostics == []


def test_a_configured_root_keeps_the_template_s_own_folder(climbing, monkeypatch):
    write(climbing.parent, "sibling.yaml", HEADER)
    climbing.write_text(importing("../shared/lib.yaml", "sibling.yaml"), encoding="utf-8")
    monkeypatch.chdir(climbing.parent.parent)
    options = load_options(roots=["shared"], use_config=False)  # relative, as on the command line
    assert options.policy.roots == [str((climbing.parent.parent / "shared").resolve())]
    assert load_sources(str(climbing), options.policy, cache=ParseCache()).diagnostics == []


def test_absolute_local_import_outside_the_root_is_refused(tmp_path):
    outside = write(tmp_path, "elsewhere/lib.yaml", HEADER)
    main = write(tmp_path, "project/main.yaml", importing(str(outside)))
    assert rules(load(main)) == ["PT202"]


def test_symlink_pointing_outside_the_root_is_refused(tmp_path):
    secret = write(tmp_path, "secret/lib.yaml", HEADER + "description: not yours\n")
    project = tmp_path / "project"
    project.mkdir()
    try:
        (project / "link.yaml").symlink_to(secret)
    except OSError:
        pytest.skip("no symlinks here")
    main = write(project, "main.yaml", importing("link.yaml"))
    sources = load(main)
    assert rules(sources) == ["PT202"]
    assert str(secret) in sources.diagnostics[0].message  # the real target is named
    assert len(sources.documents) == 1


def test_symlink_inside_the_root_is_fine(tmp_path):
    write(tmp_path, "lib/real.yaml", HEADER)
    try:
        (tmp_path / "link.yaml").symlink_to(tmp_path / "lib" / "real.yaml")
    except OSError:
        pytest.skip("no symlinks here")
    main = write(tmp_path, "main.yaml", importing("link.yaml"))
    assert load(main).diagnostics == []


# -- file:// and plain http ------------------------------------------------------------------

def test_file_urls_are_refused_by_default(tmp_path):
    lib = write(tmp_path, "lib.yaml", HEADER)
    main = write(tmp_path, "main.yaml", importing(lib.as_uri()))
    sources = load(main)
    assert rules(sources) == ["PT202"]
    assert "--allow-file-urls" in sources.diagnostics[0].hint


def test_file_urls_when_allowed(tmp_path):
    lib = write(tmp_path, "elsewhere/lib.yaml", HEADER)
    main = write(tmp_path, "project/main.yaml", importing(lib.as_uri()))
    sources = load(main, allow_file_urls=True)
    assert sources.diagnostics == []
    assert sources.documents[1].real_path == str(lib.resolve())


def test_plain_http_is_refused_offline_and_online(tmp_path):
    main = write(tmp_path, "main.yaml", importing("http://example.org/lib.yaml"))
    for online in (False, True):
        sources = load(main, online=online, cache=UrlCache(tmp_path / "cache"))
        assert rules(sources) == ["PT202"]
        assert "--allow-http" in sources.diagnostics[0].hint


def test_fetcher_refuses_non_https():
    with pytest.raises(FetchError, match="only https"):
        Fetcher().fetch("http://127.0.0.1:9/lib.yaml")
    with pytest.raises(FetchError, match="only https"):
        Fetcher(allow_http=True).fetch("ftp://127.0.0.1/lib.yaml")


# -- the import map --------------------------------------------------------------------------

@pytest.mark.parametrize("map_file", [MAP_YAML, MAP_JSON], ids=["yaml", "json"])
def test_import_map_serves_urls_files_folders_and_repositories(map_file, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # relative targets come from the map's folder, not the cwd
    import_map = ImportMap.from_file(map_file)
    sources = load(MAPPED / "main.yaml", import_map=import_map)
    assert sources.diagnostics == [], sources.diagnostics
    served = {d.url: os.path.relpath(d.real_path, MAPPED) for d in sources.imported_documents()}
    assert served == {
        "https://example.org/tosca/base.yaml": os.path.join("library", "base.yaml"),
        # a relative import inside a mapped file is a URL, served by the map too
        "https://example.org/tosca/helpers/extra.yaml": os.path.join("library", "helpers", "extra.yaml"),
        "https://example.org/single.yaml": os.path.join("single", "one.yaml"),
        # the longest prefix wins
        "https://example.org/tosca/special/thing.yaml": os.path.join("special", "thing.yaml"),
        # repositories: url + file, both spellings, loaded once
        "https://example.org/tosca/repo_only.yaml": os.path.join("library", "repo_only.yaml"),
    }
    # imported documents are named by their URL in diagnostics
    assert all(d.file == d.url for d in sources.imported_documents())


def test_mapped_template_validates_clean():
    options = load_options(import_map=str(MAP_YAML), use_config=False, parse_cache=ParseCache())
    report = validate(str(MAPPED / "main.yaml"), options)
    assert report.diagnostics == []


def test_import_map_lookup_rules(tmp_path):
    folder = tmp_path / "lib"
    import_map = ImportMap({
        "https://x.org/lib/": folder,
        "https://x.org/lib/deep/": tmp_path / "deep",
        "https://x.org/one.yaml": tmp_path / "one.yaml",
    })
    assert import_map.lookup("https://x.org/lib/a/b.yaml") == folder / "a" / "b.yaml"
    assert import_map.lookup("https://x.org/lib/deep/c.yaml") == tmp_path / "deep" / "c.yaml"
    assert import_map.lookup("https://x.org/one.yaml") == tmp_path / "one.yaml"
    assert import_map.lookup("https://x.org/lib/a.yaml?raw=true#top") == folder / "a.yaml"
    assert import_map.lookup("https://x.org/lib/dots/..name.yaml") == folder / "dots" / "..name.yaml"
    assert import_map.lookup("https://y.org/lib/a.yaml") is None
    # climbing out of the mapped folder, plainly or percent-encoded, is never served
    for url in ("https://x.org/lib/../secret.yaml", "https://x.org/lib/a/../../secret.yaml",
                "https://x.org/lib/%2e%2e/secret.yaml", "https://x.org/lib/..%2Fsecret.yaml"):
        assert import_map.lookup(url) is None, url


def test_mapped_url_climbing_out_of_the_folder_is_not_served(tmp_path):
    main = write(tmp_path, "main.yaml", importing("https://example.org/tosca/../outside.yaml",
                                                   "https://example.org/tosca/%2e%2e/outside.yaml"))
    sources = load(main, import_map=ImportMap.from_file(MAP_YAML))
    assert set(rules(sources)) <= {"PT201", "PT202"} and len(sources.diagnostics) == 2
    assert len(sources.documents) == 1  # outside.yaml, beside the mapped folder, was not read


def test_relative_import_climbing_out_of_a_mapped_file_is_not_served(tmp_path):
    write(tmp_path, "lib/evil.yaml", importing("../../../outside.yaml", "../%2e%2e/outside.yaml"))
    write(tmp_path, "outside.yaml", HEADER)
    main = write(tmp_path, "main.yaml", importing("https://example.org/lib/evil.yaml"))
    import_map = ImportMap({"https://example.org/lib/": tmp_path / "lib"})
    sources = load(main, import_map=import_map)
    assert rules(sources) == ["PT201", "PT201"]
    assert [d.file for d in sources.diagnostics] == ["https://example.org/lib/evil.yaml"] * 2
    assert len(sources.documents) == 2


def test_unmapped_relative_import_of_a_mapped_file_names_the_joined_url(tmp_path):
    write(tmp_path, "lib/a.yaml", importing("../other/b.yaml"))
    main = write(tmp_path, "main.yaml", importing("https://example.org/lib/a.yaml"))
    sources = load(main, import_map=ImportMap({"https://example.org/lib/": tmp_path / "lib"}))
    [problem] = sources.diagnostics
    assert problem.rule == "PT201" and "https://example.org/other/b.yaml" in problem.message


def test_map_entry_to_a_missing_file(tmp_path):
    main = write(tmp_path, "main.yaml", importing("https://example.org/gone.yaml"))
    sources = load(main, import_map=ImportMap({"https://example.org/gone.yaml": tmp_path / "gone.yaml"}))
    [problem] = sources.diagnostics
    assert problem.rule == "PT200" and "not a file" in problem.message


def test_earlier_maps_win_on_equal_prefixes(tmp_path):
    first = ImportMap({"https://x.org/": tmp_path / "first"})
    second = ImportMap({"https://x.org/": tmp_path / "second", "https://y.org/": tmp_path / "y"})
    merged = first.merged(second)
    assert merged.lookup("https://x.org/a.yaml") == tmp_path / "first" / "a.yaml"
    assert merged.lookup("https://y.org/a.yaml") == tmp_path / "y" / "a.yaml"


@pytest.mark.parametrize("content, says", [
    ("https://x.org/: [not, a, path]\n", "must be a mapping from URL prefix to a local path"),
    ("- just\n- a list\n", "must be a mapping"),
    ("{unclosed: \n", "cannot read import map"),
    ('{"https://x.org/": 3}', "must be a mapping"),
    ("", "must be a mapping"),
])
def test_malformed_import_map(tmp_path, content, says):
    path = write(tmp_path, "map.yaml", content)
    with pytest.raises(ImportMapError, match=says) as error:
        ImportMap.from_file(path)
    assert str(path) in str(error.value)


def test_missing_or_binary_import_map(tmp_path):
    with pytest.raises(ImportMapError, match="cannot read import map"):
        ImportMap.from_file(tmp_path / "nowhere.json")
    binary = tmp_path / "map.json"
    binary.write_bytes(b"\xff\xfe\xfa")
    with pytest.raises(ImportMapError, match="cannot read import map"):
        ImportMap.from_file(binary)


def test_malformed_import_map_through_the_api(tmp_path):
    path = write(tmp_path, "map.yaml", "- no\n")
    with pytest.raises(ImportMapError):
        load_options(import_map=str(path), use_config=False)


def test_import_map_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("PRIMAGE_TOSCA_IMPORT_MAP", str(MAP_JSON))
    options = load_options(use_config=False, parse_cache=ParseCache())
    assert validate(str(MAPPED / "main.yaml"), options).diagnostics == []


# -- the URL cache ---------------------------------------------------------------------------

def test_a_cached_url_resolves_offline(tmp_path):
    url = "https://example.org/cached/lib.yaml"
    main = write(tmp_path, "main.yaml", importing(url))
    cache = UrlCache(tmp_path / "cache")
    assert rules(load(main, cache=cache)) == ["PT201"]
    cache.store(url, (HEADER + "node_types: {}\n").encode())
    sources = load(main, cache=cache)
    assert sources.diagnostics == []
    assert sources.documents[1].url == url and sources.documents[1].file == url
    assert [m["url"] for m in cache.entries()] == [url]


def test_the_default_cache_lives_in_the_data_dir(tmp_path, _isolated_home):
    url = "https://example.org/default-cache.yaml"
    UrlCache().store(url, HEADER.encode())
    main = write(tmp_path, "main.yaml", importing(url))
    assert load(main).diagnostics == []
    assert any(_isolated_home.rglob("*.yaml"))


def test_relative_imports_of_a_cached_file_are_urls(tmp_path):
    cache = UrlCache(tmp_path / "cache")
    cache.store("https://example.org/lib/a.yaml", importing("b.yaml").encode())
    cache.store("https://example.org/lib/b.yaml", HEADER.encode())
    main = write(tmp_path, "main.yaml", importing("https://example.org/lib/a.yaml"))
    sources = load(main, cache=cache)
    assert sources.diagnostics == []
    assert [d.url for d in sources.imported_documents()] == ["https://example.org/lib/a.yaml",
                                                              "https://example.org/lib/b.yaml"]


def test_the_map_wins_over_the_cache(tmp_path):
    url = "https://example.org/tosca/base.yaml"
    cache = UrlCache(tmp_path / "cache")
    cache.store(url, b"[this is not what the map says]")
    resolution = resolve_url(url, ImportPolicy(import_map=ImportMap.from_file(MAP_YAML), cache=cache))
    assert resolution.ok and resolution.local_path.endswith(os.path.join("library", "base.yaml"))


def test_offline_url_names_the_url_and_the_fixes(tmp_path):
    url = "https://example.org/nowhere/types.yaml"
    main = write(tmp_path, "main.yaml", importing(url))
    [problem] = load(main, cache=UrlCache(tmp_path / "cache")).diagnostics
    assert problem.rule == "PT201" and url in problem.message
    assert "--import-map" in problem.hint and f"types pull {url}" in problem.hint and "--online" in problem.hint


# -- online, against a server on 127.0.0.1 ----------------------------------------------------------

LIBRARY = (HEADER + "node_types:\n  web.nodes.Thing:\n    derived_from: tosca.nodes.Compute\n").encode()


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict = {}

    def do_GET(self):  # noqa: N802 - the http.server API
        route = self.routes.get(self.path.split("?")[0])
        if route is None:
            self.send_error(404)
            return
        route(self)

    def log_message(self, *args):
        pass


def _serve(body: bytes):
    def reply(handler):
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return reply


def _sleep_then_serve(handler):
    time.sleep(2)
    try:
        _serve(LIBRARY)(handler)
    except OSError:
        pass  # the client gave up, as it should


def _trickle(handler):
    handler.send_response(200)
    handler.send_header("Content-Length", "100000")
    handler.end_headers()
    for _ in range(40):  # one byte every 0.1 s: each read is quick, the whole is not
        try:
            handler.wfile.write(b"#")
            handler.wfile.flush()
        except OSError:
            return
        time.sleep(0.1)


def _redirect(location: str):
    def reply(handler):
        handler.send_response(302)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return reply


@pytest.fixture
def server(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    _Handler.routes = {
        "/lib/thing.yaml": _serve(LIBRARY),
        "/lib/with-relative.yaml": _serve(importing("thing.yaml").encode()),
        "/big.yaml": _serve(b"#" * 200_000),
        "/slow.yaml": _sleep_then_serve,
        "/trickle.yaml": _trickle,
        "/to-file": _redirect("file:///etc/passwd"),
        "/to-thing": _redirect("/lib/thing.yaml"),
        "/loop": _redirect("/loop"),
    }
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


def online_policy(tmp_path, **fetcher) -> dict:
    return dict(online=True, allow_http=True, cache=UrlCache(tmp_path / "cache"),
                fetcher=Fetcher(**{"timeout": 0.5, "deadline": 2.0, **fetcher}))


def test_online_fetches_into_the_cache_then_works_offline(tmp_path, server):
    url = f"{server}/lib/thing.yaml"
    main = write(tmp_path, "main.yaml", importing(url) + "topology_template:\n  node_templates:\n"
                 "    t:\n      type: web.nodes.Thing\n")
    policy = online_policy(tmp_path)
    sources = load(main, **policy)
    assert sources.diagnostics == [] and sources.documents[1].url == url
    # now offline, from the cache the fetch filled
    offline = load(main, cache=policy["cache"], allow_http=True)
    assert offline.diagnostics == []
    report = validate(str(main), LoadOptions(policy=ImportPolicy(cache=policy["cache"], allow_http=True),
                                              cache=ParseCache()))
    assert report.diagnostics == []


def test_online_relative_imports_are_fetched_too(tmp_path, server):
    main = write(tmp_path, "main.yaml", importing(f"{server}/lib/with-relative.yaml"))
    sources = load(main, **online_policy(tmp_path))
    assert sources.diagnostics == []
    assert [d.url for d in sources.imported_documents()] == [f"{server}/lib/with-relative.yaml",
                                                              f"{server}/lib/thing.yaml"]


def test_online_404(tmp_path, server):
    main = write(tmp_path, "main.yaml", importing(f"{server}/missing.yaml"))
    [problem] = load(main, **online_policy(tmp_path)).diagnostics
    assert problem.rule == "PT204" and "404" in problem.message and (problem.line, problem.column) == (3, 5)


def test_online_size_cap(tmp_path, server):
    main = write(tmp_path, "main.yaml", importing(f"{server}/big.yaml"))
    [problem] = load(main, **online_policy(tmp_path, max_bytes=100_000)).diagnostics
    assert problem.rule == "PT204" and "larger than 100,000 bytes" in problem.message
    assert UrlCache(tmp_path / "cache").entries() == []  # nothing half-stored


def test_online_timeout(tmp_path, server):
    main = write(tmp_path, "main.yaml", importing(f"{server}/slow.yaml"))
    started = time.perf_counter()
    [problem] = load(main, **online_policy(tmp_path)).diagnostics
    assert time.perf_counter() - started < 1.8  # the server would answer after 2 s
    assert problem.rule == "PT204" and "Timeout" in problem.message


def test_online_deadline_against_a_trickling_server(tmp_path, server):
    main = write(tmp_path, "main.yaml", importing(f"{server}/trickle.yaml"))
    started = time.perf_counter()
    [problem] = load(main, **online_policy(tmp_path, deadline=1.0)).diagnostics
    assert time.perf_counter() - started < 3  # the server would take 4 s; reads never time out
    assert problem.rule == "PT204" and "longer than" in problem.message


def test_connection_refused_is_a_diagnostic(tmp_path):
    main = write(tmp_path, "main.yaml", importing("http://127.0.0.1:9/lib.yaml"))
    [problem] = load(main, **online_policy(tmp_path)).diagnostics
    assert problem.rule == "PT204"


def test_offline_never_touches_the_server(tmp_path, server):
    main = write(tmp_path, "main.yaml", importing(f"{server}/lib/thing.yaml"))
    _Handler.routes = {}  # any request would now get a 404, giving PT204
    sources = load(main, allow_http=True, cache=UrlCache(tmp_path / "cache"))
    assert rules(sources) == ["PT201"]


# -- the parse cache ---------------------------------------------------------------------------

def test_a_library_imported_by_many_templates_is_parsed_once(tmp_path):
    write(tmp_path, "lib.yaml", HEADER + "node_types:\n  lib.Thing:\n    derived_from: tosca.nodes.Compute\n")
    templates = [
        write(tmp_path, f"t{n}.yaml", importing("lib.yaml") + f"description: template {n}\n"
              "topology_template:\n  node_templates:\n    x:\n      type: lib.Thing\n")
        for n in range(5)
    ]
    cache = ParseCache()
    report = validate([str(t) for t in templates], LoadOptions(cache=cache))
    assert report.diagnostics == []
    assert cache.misses == 6  # five templates and the library
    assert cache.hits == 4


def test_the_parse_cache_is_keyed_by_content_not_name(tmp_path):
    text = HEADER + "description: same bytes\n"
    first, second = write(tmp_path, "a.yaml", text), write(tmp_path, "b.yaml", text)
    cache = ParseCache()
    validate([str(first), str(second)], LoadOptions(cache=cache))
    assert (cache.misses, cache.hits) == (1, 1)


def test_the_corpus_library_is_parsed_once_across_examples():
    from conftest import IMPORT_MAP, INDIGO_EXAMPLES

    if not INDIGO_EXAMPLES.is_dir():
        pytest.skip("no corpus")
    examples = sorted(INDIGO_EXAMPLES.glob("*.yaml"))[:6]
    cache = ParseCache()
    options = load_options(import_map=str(IMPORT_MAP), use_config=False, parse_cache=cache)
    validate([str(e) for e in examples], options)
    library_parses = cache.misses - len(examples)
    assert 1 <= library_parses <= 3  # custom_types.yaml once, whatever number of templates import it
    assert cache.hits >= len(examples) - library_parses


def test_import_map_json_and_yaml_are_the_same():
    assert ImportMap.from_file(MAP_YAML).entries == ImportMap.from_file(MAP_JSON).entries
    assert json.loads(MAP_JSON.read_text())  # it is real JSON


def test_redirects_are_followed_within_the_policy(server):
    assert Fetcher(timeout=1, allow_http=True).fetch(f"{server}/to-thing") == LIBRARY


def test_a_redirect_cannot_leave_the_allowed_schemes(server):
    with pytest.raises(FetchError, match="only https"):
        Fetcher(timeout=1, allow_http=True).fetch(f"{server}/to-file")


def test_redirect_loops_end(server):
    with pytest.raises(FetchError, match="redirects more than"):
        Fetcher(timeout=1, allow_http=True).fetch(f"{server}/loop")


def test_a_root_given_through_a_symlink_still_admits_its_files(tmp_path):
    """Imports are compared by real path, so a root named through a symlink
    (a checkout whose folders are links, say) must be resolved too."""
    real = tmp_path / "real"
    real.mkdir()
    (real / "lib.yaml").write_text(HEADER + "node_types:\n  web.nodes.Thing:\n    derived_from: tosca.nodes.Compute\n")
    main = real / "main.yaml"
    main.write_text(importing("lib.yaml") + "topology_template:\n  node_templates:\n"
                    "    t:\n      type: web.nodes.Thing\n")
    link = tmp_path / "link"
    link.symlink_to(real)
    policy = ImportPolicy(roots=[str(link)])
    report = validate(link / "main.yaml", LoadOptions(policy=policy))
    assert [d for d in report.diagnostics if d.rule == "PT202"] == []


@pytest.mark.parametrize("reference", ["http://[::1/lib.yaml", "https://[bad/x.yaml"])
def test_a_malformed_url_import_is_located_not_a_traceback(tmp_path, reference):
    main = write(tmp_path, "main.yaml", importing(reference))
    [problem] = load(main).diagnostics
    assert problem.rule == "PT205" and "not a valid URL" in problem.message and problem.line == 3
