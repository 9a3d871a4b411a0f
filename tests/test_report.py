"""The output formatters, on reports built by hand (no template is loaded)."""

from __future__ import annotations

import io
import json
import re
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from primage_tosca import catalog
from primage_tosca.diagnostics import Diagnostic, Location, Severity
from primage_tosca.report import (
    FORMATS,
    REGENERATE,
    escape_data,
    escape_property,
    render,
    rules_markdown,
    sarif_log,
    should_color,
)
from primage_tosca.validation import Report

ROOT = Path(__file__).resolve().parent.parent
SARIF_SCHEMA = ROOT.parent / "shared" / "schemas" / "sarif-schema-2.1.0.json"
NODE_PATH = ("topology_template", "node_templates", "db", "requirements", 0)
LIBRARY_URL = "https://raw.githubusercontent.com/indigo-dc/tosca-types/master/custom_types.yaml"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A current directory with an 'outside' directory beside it."""
    root = tmp_path / "project"
    (root / "templates").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def report(project) -> Report:
    outside = str(project.parent / "outside" / "lib.yaml")
    return Report(
        files=["templates/app, v2.yaml", "templates/ümlaut 100%.yaml"],
        diagnostics=[
            catalog.make("PT320", "requirement 'host' names node 'vm', which does not exist",
                         Location("templates/app, v2.yaml", 12, 7), NODE_PATH,
                         hint="declare node 'vm' or fix the name"),
            catalog.make("PT402", "input 'port:ext' is declared, never read,\nat 100%",
                         Location("templates/app, v2.yaml", 30, 3), ("topology_template", "inputs", "port:ext")),
            catalog.make("PT302", "type checks skipped: λ import failed",
                         Location("templates/ümlaut 100%.yaml", 1, 1)),
            catalog.make("PT204", "fetching failed: HTTP 404", Location(LIBRARY_URL, 4, 2),
                         ("imports", 0)),
            catalog.make("PT200", "imported file is missing", Location(outside, 2, 9)),
        ],
    )


def sample(rule: str = "PT100", message: str = "bad", file: str = "a.yaml", line: int = 1, **kw) -> Diagnostic:
    return catalog.make(rule, message, Location(file, line, kw.pop("column", 1)), **kw)


# -- render ---------------------------------------------------------------


def test_formats_and_unknown_format(report):
    assert FORMATS == ("text", "json", "sarif", "github")
    for fmt in FORMATS:
        assert isinstance(render(report, fmt), str)
    with pytest.raises(ValueError, match="text, json, sarif, github"):
        render(report, "xml")


# -- text -----------------------------------------------------------------


def test_text_lines(report, project):
    outside = project.parent / "outside" / "lib.yaml"
    assert render(report, "text").splitlines() == [
        "templates/app, v2.yaml:12:7: error PT320 requirement 'host' names node 'vm', which does not exist",
        "  path: topology_template.node_templates.db.requirements[0]",
        "  hint: declare node 'vm' or fix the name",
        "templates/app, v2.yaml:30:3: warning PT402 input 'port:ext' is declared, never read,",
        "    at 100%",
        "  path: topology_template.inputs.port:ext",
        "templates/ümlaut 100%.yaml:1:1: info PT302 type checks skipped: λ import failed",
        f"{LIBRARY_URL}:4:2: error PT204 fetching failed: HTTP 404",
        "  path: imports[0]",
        f"{outside}:2:9: error PT200 imported file is missing",
        "2 files checked: 3 errors, 1 warning, 1 info",
    ]


def test_text_has_no_escapes_without_color(report):
    assert "\x1b" not in render(report, "text")


def test_text_color_paints_severity_and_dims_rule(report):
    out = render(report, "text", color=True)
    assert "\x1b[1;31merror\x1b[0m \x1b[2mPT320\x1b[0m" in out
    assert "\x1b[33mwarning\x1b[0m" in out
    assert "\x1b[36minfo\x1b[0m" in out
    assert ANSI.sub("", out) == render(report, "text")


@pytest.mark.parametrize("files, diagnostics, summary", [
    (3, [], "3 files checked: no problems"),
    (1, [], "1 file checked: no problems"),
    (0, [], "0 files checked: no problems"),
    (1, [sample()], "1 file checked: 1 error, 0 warnings"),
    (2, [sample(), sample(line=2), sample("PT402")], "2 files checked: 2 errors, 1 warning"),
    (1, [sample("PT302")], "1 file checked: 0 errors, 0 warnings, 1 info"),
])
def test_text_summary(files, diagnostics, summary):
    report = Report([f"f{n}.yaml" for n in range(files)], diagnostics)
    assert render(report, "text").splitlines()[-1] == summary


def test_text_escapes_control_characters():
    hostile = sample(message="key \x1b[2Jcleared\r", file="a\x07.yaml")
    line = render(Report(["a.yaml"], [hostile]), "text").splitlines()[0]
    assert "\x1b" not in line and "\r" not in line and "\x07" not in line
    assert line == r"a\x07.yaml:1:1: error PT100 key \x1b[2Jcleared\r"


def test_should_color():
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert should_color(Terminal(), environ={})
    assert should_color(Terminal(), environ={"NO_COLOR": ""})  # empty means unset
    assert not should_color(Terminal(), environ={"NO_COLOR": "1"})
    assert not should_color(Terminal(), environ={"TERM": "dumb"})
    assert not should_color(io.StringIO(), environ={})


# -- json -----------------------------------------------------------------


def diagnostics_schema() -> dict:
    text = resources.files("primage_tosca").joinpath("schemas/diagnostics-v1.json").read_text("utf-8")
    return json.loads(text)


def validate_json(document: dict) -> None:
    schema = diagnostics_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    validator.validate(document)


def test_json_matches_its_schema(report):
    document = json.loads(render(report, "json", tool_version="9.8.7"))
    validate_json(document)
    validate_json(json.loads(render(Report(), "json")))


def test_json_content_and_key_order(report):
    document = json.loads(render(report, "json", tool_version="9.8.7"))
    assert list(document) == ["schema", "version", "tool", "files", "summary", "diagnostics"]
    assert document["schema"] == "primage-tosca/diagnostics" and document["version"] == 1
    assert document["tool"] == {"name": "primage-tosca", "version": "9.8.7"}
    assert document["files"] == report.files
    assert document["summary"] == {"errors": 3, "warnings": 1, "infos": 1}
    first = document["diagnostics"][0]
    assert list(first) == ["rule", "name", "severity", "file", "line", "column", "path", "path_parts",
                           "message", "hint"]
    assert first == {
        "rule": "PT320", "name": "requirement-missing-node", "severity": "error",
        "file": "templates/app, v2.yaml", "line": 12, "column": 7,
        "path": "topology_template.node_templates.db.requirements[0]",
        "path_parts": ["topology_template", "node_templates", "db", "requirements", 0],
        "message": "requirement 'host' names node 'vm', which does not exist",
        "hint": "declare node 'vm' or fix the name",
    }
    assert [d["rule"] for d in document["diagnostics"]] == [d.rule for d in report.diagnostics]
    assert document["diagnostics"][2]["hint"] is None
    assert document["diagnostics"][2]["path_parts"] == []


def test_json_keeps_unicode_and_defaults_to_package_version(report):
    import primage_tosca

    out = render(report, "json")
    assert "ümlaut" in out and "λ" in out
    assert json.loads(out)["tool"]["version"] == primage_tosca.__version__


def test_schema_rejects_a_malformed_document(report):
    document = json.loads(render(report, "json"))
    document["diagnostics"][0]["line"] = 0
    with pytest.raises(jsonschema.ValidationError):
        validate_json(document)


# -- sarif ----------------------------------------------------------------


def validate_sarif(log: dict) -> None:
    if not SARIF_SCHEMA.is_file():
        pytest.skip("../shared/schemas is not beside the checkout")
    schema = json.loads(SARIF_SCHEMA.read_text("utf-8"))  # draft-04, per its $schema
    validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
    validator.validate(log)


def test_sarif_matches_the_schema(report):
    validate_sarif(json.loads(render(report, "sarif", tool_version="1.2.3")))
    validate_sarif(json.loads(render(Report(), "sarif")))


def test_sarif_schema_is_really_applied(report):
    """Guards the check above: a region before line 1 and an unknown level fail."""
    log = sarif_log(report, "0")
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    with pytest.raises(jsonschema.ValidationError):
        validate_sarif(log)
    log = sarif_log(report, "0")
    log["runs"][0]["results"][0]["level"] = "info"
    with pytest.raises(jsonschema.ValidationError):
        validate_sarif(log)


def test_sarif_shape_github_reads(report):
    log = json.loads(render(report, "sarif", tool_version="1.2.3"))
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-schema-2.1.0.json")
    [run] = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "primage-tosca" and driver["version"] == "1.2.3"
    assert driver["informationUri"].startswith("https://")
    assert [r["id"] for r in driver["rules"]] == ["PT200", "PT204", "PT302", "PT320", "PT402"]
    for descriptor in driver["rules"]:
        entry = catalog.RULES[descriptor["id"]]
        assert descriptor["name"] == entry.name
        assert descriptor["shortDescription"]["text"] == entry.summary
        assert descriptor["fullDescription"]["text"]
        assert descriptor["helpUri"].endswith(f"docs/rules.md#{entry.id.lower()}")
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels == {"PT320": "error", "PT402": "warning", "PT302": "note", "PT204": "error", "PT200": "error"}
    for result in run["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1


def test_sarif_rule_default_level_is_the_catalogue_severity():
    overridden = sample("PT402", severity=Severity.ERROR)
    [run] = sarif_log(Report(["a.yaml"], [overridden]), "0")["runs"]
    assert run["tool"]["driver"]["rules"][0]["defaultConfiguration"]["level"] == "warning"
    assert run["results"][0]["level"] == "error"


def artifact(log: dict, number: int) -> dict:
    return log["runs"][0]["results"][number]["locations"][0]["physicalLocation"]["artifactLocation"]


def test_sarif_locations(report, project):
    log = sarif_log(report, "0")
    assert artifact(log, 0) == {"uri": "templates/app%2C%20v2.yaml", "uriBaseId": "%SRCROOT%"}
    assert artifact(log, 2) == {"uri": "templates/%C3%BCmlaut%20100%25.yaml", "uriBaseId": "%SRCROOT%"}
    assert artifact(log, 3) == {"uri": LIBRARY_URL}
    outside = (project.parent / "outside" / "lib.yaml").as_uri()
    assert artifact(log, 4) == {"uri": outside}
    region = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 12, "startColumn": 7}


def test_sarif_absolute_path_under_cwd_becomes_relative(project):
    inside = str(project / "templates" / "x.yaml")
    log = sarif_log(Report([inside], [sample(file=inside)]), "0")
    assert artifact(log, 0) == {"uri": "templates/x.yaml", "uriBaseId": "%SRCROOT%"}


def test_sarif_message_logical_location(report):
    result = sarif_log(report, "0")["runs"][0]["results"][0]
    assert result["message"]["text"] == (
        "requirement 'host' names node 'vm', which does not exist\nHint: declare node 'vm' or fix the name")
    assert result["locations"][0]["logicalLocations"] == [
        {"name": "[0]", "fullyQualifiedName": "topology_template.node_templates.db.requirements[0]"}]
    whole_file = sarif_log(report, "0")["runs"][0]["results"][2]
    assert "logicalLocations" not in whole_file["locations"][0]


def test_sarif_clamps_lines_below_one(project):
    log = sarif_log(Report(["a.yaml"], [sample(line=0, column=0)]), "0")
    region = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 1, "startColumn": 1}
    validate_sarif(log)


def fingerprints(diagnostics: list[Diagnostic]) -> list[str]:
    results = sarif_log(Report(["a.yaml"], diagnostics), "0")["runs"][0]["results"]
    return [r["partialFingerprints"]["primageTosca/v1"] for r in results]


def test_sarif_fingerprints_ignore_lines_but_not_content(project):
    [moved] = fingerprints([sample(line=40, column=3, path=("a",))])
    [original] = fingerprints([sample(line=3, path=("a",))])
    assert moved == original and re.fullmatch(r"[0-9a-f]{64}:1", original)
    [other_message] = fingerprints([sample(message="worse", path=("a",))])
    [other_path] = fingerprints([sample(path=("b",))])
    [other_rule] = fingerprints([sample("PT101", path=("a",))])
    [other_file] = fingerprints([sample(file="b.yaml", path=("a",))])
    assert len({original, other_message, other_path, other_rule, other_file}) == 5


def test_sarif_fingerprints_count_repeats(project):
    first, second = fingerprints([sample(line=1), sample(line=9)])
    assert first.endswith(":1") and second.endswith(":2")
    assert first.split(":")[0] == second.split(":")[0]


def test_sarif_truncates_keeping_errors_and_says_so(project):
    diagnostics = [sample("PT402", line=1), sample(line=2), sample("PT302", line=3), sample(line=4)]
    log = sarif_log(Report(["a.yaml"], diagnostics), "0", max_results=2)
    [run] = log["runs"]
    assert [r["ruleId"] for r in run["results"]] == ["PT100", "PT100"]
    [notification] = run["invocations"][0]["toolExecutionNotifications"]
    assert notification["level"] == "warning"
    assert "2 of 4 results omitted" in notification["message"]["text"]
    validate_sarif(log)


def test_sarif_default_limit_is_githubs():
    from primage_tosca.report import MAX_RESULTS

    assert MAX_RESULTS == 25_000
    assert "toolExecutionNotifications" not in sarif_log(Report(), "0")["runs"][0]["invocations"][0]


def test_sarif_uncatalogued_rule_still_has_a_descriptor(project):
    stray = Diagnostic("PT999", Severity.ERROR, "odd", Location("a.yaml"))
    log = sarif_log(Report(["a.yaml"], [stray]), "0")
    assert log["runs"][0]["tool"]["driver"]["rules"][0]["id"] == "PT999"
    validate_sarif(log)


# -- github ---------------------------------------------------------------


@pytest.mark.parametrize("text, data, prop", [
    ("plain", "plain", "plain"),
    ("100%", "100%25", "100%25"),
    ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
    ("k: v, w", "k: v, w", "k%3A v%2C w"),
    ("%0A", "%250A", "%250A"),  # already-escaped text is escaped again, not decoded
    ("ünï ✓", "ünï ✓", "ünï ✓"),
])
def test_github_escaping(text, data, prop):
    assert escape_data(text) == data
    assert escape_property(text) == prop


def test_github_commands(report, project):
    outside = project.parent / "outside" / "lib.yaml"
    assert render(report, "github").splitlines() == [
        "::error file=templates/app%2C v2.yaml,line=12,col=7,title=PT320 requirement-missing-node::"
        "requirement 'host' names node 'vm', which does not exist"
        "%0Apath: topology_template.node_templates.db.requirements[0]%0Ahint: declare node 'vm' or fix the name",
        "::warning file=templates/app%2C v2.yaml,line=30,col=3,title=PT402 input-unused::"
        "input 'port:ext' is declared, never read,%0Aat 100%25%0Apath: topology_template.inputs.port:ext",
        "::notice file=templates/ümlaut 100%25.yaml,line=1,col=1,title=PT302 types-unchecked::"
        "type checks skipped: λ import failed",
        "::error title=PT204 import-fetch-failed::fetching failed: HTTP 404"
        f"%0Ain: {LIBRARY_URL}:4:2%0Apath: imports[0]",
        f"::error file={escape_property(str(outside))},line=2,col=9,title=PT200 import-not-found::"
        "imported file is missing",
    ]


def test_github_nothing_to_say():
    assert render(Report(["a.yaml"], []), "github") == ""


# -- rules.md -------------------------------------------------------------


def test_rules_markdown_lists_every_rule_with_an_anchor():
    text = rules_markdown()
    for entry in catalog.RULES.values():
        row = f'| <a id="{entry.id.lower()}"></a>{entry.id} | `{entry.name}` | {entry.severity.value} | '
        assert row + entry.summary + " |" in text
    assert text.endswith(" |\n")  # the file's text, for `> docs/rules.md`


def test_rules_markdown_escapes_pipes(monkeypatch):
    monkeypatch.setitem(catalog.RULES, "PT998", catalog.Rule("PT998", "odd", Severity.INFO, "a | b"))
    assert "| a \\| b |" in rules_markdown()


def test_docs_rules_md_is_up_to_date():
    written = (ROOT / "docs" / "rules.md").read_text("utf-8")
    assert written == rules_markdown(), (
        f"docs/rules.md is out of date with primage_tosca/catalog.py; regenerate it: {REGENERATE}")
