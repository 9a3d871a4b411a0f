"""The command line: help, exit codes, options, and the thin layer over the API."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from primage_tosca import cli
from primage_tosca.imports.policy import UrlCache

from conftest import ROOT

VALID = textwrap.dedent("""\
    tosca_definitions_version: tosca_simple_yaml_1_0
    topology_template:
      inputs:
        cpus:
          type: integer
      node_templates:
        vm:
          type: tosca.nodes.Compute
          capabilities:
            host:
              properties:
                num_cpus: { get_input: cpus }
    """)

BROKEN = "tosca_definitions_version: tosca_simple_yaml_1_0\ntopology_template:\n  node_templates:\n    a: [1\n"


def run(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "primage_tosca", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=120)


def test_help_lists_every_command_with_one_line():
    result = run("--help")
    assert result.returncode == 0
    parser = cli.build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    for name in commands:
        lines = [line for line in result.stdout.splitlines() if line.strip().startswith(name + " ")]
        assert len(lines) == 1, f"{name} should have exactly one help line"


def test_console_script_is_declared():
    text = (ROOT / "pyproject.toml").read_text()
    assert 'primage-tosca = "primage_tosca.cli:run"' in text


def test_no_command_is_a_usage_error(capsys):
    assert cli.main([]) == 2


def test_valid_template_exits_0(tmp_path, capsys):
    path = tmp_path / "ok.yaml"
    path.write_text(VALID)
    assert cli.main(["validate", str(path), "-i", "cpus=2"]) == 0
    assert "no problems" in capsys.readouterr().out


def test_errors_exit_1_with_location(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text(BROKEN)
    assert cli.main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"{path}:5:1: error PT100" in out or f"{path}:4:" in out


def test_strict_fails_on_warnings(tmp_path, capsys):
    path = tmp_path / "warn.yaml"
    path.write_text(VALID.replace("  node_templates:", "    unused:\n      type: string\n"
                                                      "      default: x\n  node_templates:"))
    assert cli.main(["validate", str(path), "-i", "cpus=1"]) == 0
    assert cli.main(["validate", "--strict", str(path), "-i", "cpus=1"]) == 1


def test_missing_path_is_an_error_not_a_crash(tmp_path, capsys):
    assert cli.main(["validate", str(tmp_path / "nope.yaml")]) == 1
    assert "does not exist" in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["validate"], "at least one"),
    (["validate", "x.yaml", "-i", "novalue"], "key=value"),
    (["validate", "x.yaml", "--import-map", "/nonexistent/map.yaml"], "cannot read import map"),
])
def test_usage_errors_exit_2(args, message, capsys):
    assert cli.main(args) == 2
    assert message in capsys.readouterr().err


def test_bad_inputs_file_is_a_usage_error_with_location(tmp_path, capsys):
    inputs = tmp_path / "inputs.yaml"
    inputs.write_text("cpus: [1\n")
    assert cli.main(["validate", "x.yaml", "--inputs", str(inputs)]) == 2
    assert f"{inputs}:2:1" in capsys.readouterr().err


def test_unknown_flag_exits_2():
    result = run("validate", "--no-such-flag")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_json_output_to_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(BROKEN)
    out = tmp_path / "report.json"
    result = run("validate", str(path), "--format", "json", "-o", str(out))
    assert result.returncode == 1
    data = json.loads(out.read_text())
    assert data["diagnostics"][0]["rule"] == "PT100"


def test_only_tosca_skips_other_yaml(tmp_path, capsys):
    other = tmp_path / "workflow.yml"
    other.write_text("on: push\njobs: {}\n")
    assert cli.main(["validate", "--only-tosca", str(other)]) == 0
    assert cli.main(["validate", str(other)]) == 1


def test_text_has_no_colour_when_not_a_tty(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(BROKEN)
    result = run("validate", str(path))
    assert "\x1b[" not in result.stdout


@pytest.mark.parametrize("text, size", [("20MB", 20_000_000), ("1KiB", 1024), ("512", 512)])
def test_parse_size(text, size):
    assert cli.parse_size(text) == size


def test_types_pull_refuses_plain_http(capsys):
    assert cli.main(["types", "pull", "http://127.0.0.1:9/lib.yaml"]) == 1
    assert "only https" in capsys.readouterr().err


def test_types_list_shows_cached_urls(capsys):
    UrlCache().store("https://example.org/lib.yaml", b"tosca_definitions_version: tosca_simple_yaml_1_0\n")
    assert cli.main(["types", "list"]) == 0
    assert "https://example.org/lib.yaml" in capsys.readouterr().out


def test_cached_url_import_loads_offline(tmp_path, capsys):
    url = "https://example.org/types.yaml"
    UrlCache().store(url, b"tosca_definitions_version: tosca_simple_yaml_1_0\nnode_types:\n"
                          b"  example.Server:\n    derived_from: tosca.nodes.Compute\n")
    path = tmp_path / "t.yaml"
    path.write_text(f"tosca_definitions_version: tosca_simple_yaml_1_0\nimports:\n  - {url}\n"
                    "topology_template:\n  node_templates:\n    s:\n      type: example.Server\n")
    assert cli.main(["validate", str(path)]) == 0, capsys.readouterr().out


def test_each_command_module_adds_the_commands_the_parser_expects_of_it():
    import argparse

    from primage_tosca import cli_compile, cli_lifecycle, cli_lsp, cli_recipes

    for module, names in ((cli_compile, cli.COMPILE_COMMANDS), (cli_lifecycle, cli.LIFECYCLE_COMMANDS),
                          (cli_recipes, cli.RECIPES_COMMANDS), (cli_lsp, cli.LSP_COMMANDS)):
        subparsers = argparse.ArgumentParser().add_subparsers()
        module.add_commands(subparsers)
        assert tuple(subparsers.choices) == names, module.__name__


def test_a_validate_run_loads_no_other_command_and_no_other_report_format(tmp_path):
    import subprocess
    import sys

    template = tmp_path / "t.yaml"
    template.write_text("tosca_definitions_version: tosca_simple_yaml_1_3\n", encoding="utf-8")
    code = ("import sys; from primage_tosca import cli; cli.main(['validate', sys.argv[1]]); "
            "print(sorted(m for m in sys.modules if m.startswith(('primage_tosca.cli_', 'primage_tosca.report.', "
            "'primage_tosca.checks.toscaparser', 'logging'))))")
    done = subprocess.run([sys.executable, "-c", code, str(template)], capture_output=True, text=True, check=True)
    loaded = done.stdout.strip().splitlines()[-1]
    assert loaded == "['primage_tosca.cli_common', 'primage_tosca.report.common', 'primage_tosca.report.text']"


def test_the_full_help_still_lists_every_command():
    parser = cli.build_parser()
    text = parser.format_help()
    for name in (*cli.OWN_COMMANDS, *cli.COMPILE_COMMANDS, *cli.LIFECYCLE_COMMANDS, *cli.RECIPES_COMMANDS,
                 *cli.LSP_COMMANDS):
        assert name in text


def run_stdin(text: str, *args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "primage_tosca", "validate", *args], input=text,
                          capture_output=True, text=True, cwd=cwd, timeout=120)


def test_validate_reads_a_template_from_standard_input(tmp_path):
    (tmp_path / "types.yaml").write_text("tosca_definitions_version: tosca_simple_yaml_1_3\nnode_types:\n"
                                         "  my.Server:\n    derived_from: tosca.nodes.Compute\n")
    text = ("tosca_definitions_version: tosca_simple_yaml_1_3\nimports:\n  - types.yaml\n"
            "topology_template:\n  node_templates:\n    a:\n      type: my.Server\n    b:\n      type: my.Servr\n")
    done = run_stdin(text, "-", "--format", "json", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    findings = json.loads(done.stdout)["diagnostics"]
    # the import beside the current folder was read: only the misspelt type is wrong
    assert [(d["rule"], d["file"], d["line"]) for d in findings] == [("PT310", "<stdin>", 9)]


def test_validate_stdin_beside_files_and_its_limits(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text(VALID)
    done = run_stdin(VALID, str(good), "-", cwd=tmp_path)
    assert done.returncode == 0 and "2 files checked" in done.stdout, done.stdout + done.stderr
    empty = run_stdin("", "-", cwd=tmp_path)
    assert empty.returncode == 1 and "<stdin>:1:1: error PT103" in empty.stdout
    big = run_stdin(VALID + "#" * 4096 + "\n", "-", "--max-file-size", "1KB", cwd=tmp_path)
    assert big.returncode == 1 and "PT104" in big.stdout and "Traceback" not in big.stderr
