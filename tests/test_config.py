"""Settings from outside a call: the data dir, the config file, the environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from primage_tosca import config
from primage_tosca.api import load_options
from primage_tosca.config import ConfigError, FileConfig, data_dir, find_config_file, load_config
from primage_tosca.source.document import ParseCache
from primage_tosca.imports.policy import UrlCache
from primage_tosca.validation import validate

HEADER = "tosca_definitions_version: tosca_simple_yaml_1_0\n"


@pytest.fixture
def no_config(monkeypatch, tmp_path):
    """No PRIMAGE_TOSCA_CONFIG, and a home and XDG folders of our own."""
    monkeypatch.delenv(config.ENV_CONFIG, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# -- the data dir ------------------------------------------------------------------------

def test_data_dir_honours_primage_tosca_home(monkeypatch, tmp_path):
    monkeypatch.setenv(config.ENV_HOME, str(tmp_path / "state"))
    assert data_dir() == tmp_path / "state"
    assert UrlCache().root == tmp_path / "state" / "imports"


def test_data_dir_expands_the_user(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv(config.ENV_HOME, "~/state")
    assert data_dir() == tmp_path / "state"


@pytest.mark.skipif(sys.platform in ("darwin", "win32"), reason="XDG layout")
def test_data_dir_default_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv(config.ENV_HOME, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert data_dir() == tmp_path / "xdg" / "primage_tosca"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert data_dir() == tmp_path / ".local" / "share" / "primage_tosca"


def test_empty_home_variable_means_the_default(monkeypatch):
    monkeypatch.setenv(config.ENV_HOME, "")
    assert data_dir().name == "primage_tosca"


def test_tests_run_in_an_isolated_home(_isolated_home):
    assert data_dir() == _isolated_home


# -- finding the config file ---------------------------------------------------------------

def test_no_config_file_anywhere(no_config):
    assert find_config_file() is None
    assert load_config() == FileConfig()


def test_config_in_the_current_folder(no_config):
    found = write(no_config / ".primage-tosca.yaml", "online: true\n")
    assert find_config_file() == found.resolve()


def test_config_in_a_parent_folder(no_config):
    found = write(no_config / ".primage-tosca.yaml", "online: true\n")
    deep = no_config / "a" / "b"
    deep.mkdir(parents=True)
    assert find_config_file(deep) == found.resolve()


def test_the_nearest_config_wins(no_config):
    write(no_config / ".primage-tosca.yaml", "online: true\n")
    nearer = write(no_config / "sub" / ".primage-tosca.yaml", "online: false\n")
    assert find_config_file(no_config / "sub") == nearer.resolve()


def test_user_config_under_xdg(no_config, tmp_path):
    user = write(tmp_path / "xdg-config" / "primage_tosca" / "config.yaml", "online: true\n")
    assert find_config_file() == user
    # a project config comes first
    project = write(no_config / ".primage-tosca.yaml", "online: false\n")
    assert find_config_file() == project.resolve()


def test_environment_names_the_config(no_config, tmp_path, monkeypatch):
    write(no_config / ".primage-tosca.yaml", "online: false\n")
    chosen = write(tmp_path / "elsewhere.yaml", "online: true\n")
    monkeypatch.setenv(config.ENV_CONFIG, str(chosen))
    assert find_config_file() == chosen
    assert load_config().online is True


# -- reading it ---------------------------------------------------------------------------

def test_config_keys_and_relative_paths(no_config, tmp_path):
    path = write(tmp_path / "project" / ".primage-tosca.yaml", """\
import_map: maps/one.json
import_maps: [maps/two.json, /abs/three.json]
roots:
  - lib
  - ../shared
online: false
""")
    loaded = load_config(path)
    base = path.parent
    assert loaded.path == path
    assert loaded.import_maps == [base / "maps/one.json", base / "maps/two.json", Path("/abs/three.json")]
    assert loaded.roots == [base / "lib", base / "../shared"]
    assert loaded.online is False


def test_an_empty_config_is_fine(tmp_path):
    loaded = load_config(write(tmp_path / "c.yaml", "# nothing yet\n"))
    assert (loaded.import_maps, loaded.roots, loaded.online) == ([], [], None)


def test_devnull_config_is_empty():
    assert load_config(Path(os.devnull)).import_maps == []


@pytest.mark.parametrize("text, says", [
    ("online: [yes\n", "cannot read config file"),
    ("- a list\n", "must be a mapping"),
    ("colour: blue\n", "unknown keys ['colour']"),
    ("roots: 3\n", "'roots' must be a path or a list of paths"),
    ("import_map: {a: b}\n", "'import_map' must be a path"),
    ("import_maps: [a, 1]\n", "'import_maps' must be a path"),
    ("online: maybe\n", "'online' must be true or false"),
])
def test_bad_config_is_a_config_error(tmp_path, text, says):
    path = write(tmp_path / ".primage-tosca.yaml", text)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert says in str(error.value)
    assert str(path) in str(error.value)


def test_unreadable_config(tmp_path):
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config(tmp_path / "missing.yaml")
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00\x01")
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config(binary)


def test_env_import_maps_split_on_pathsep(monkeypatch):
    monkeypatch.setenv(config.ENV_IMPORT_MAP, os.pathsep.join(["a.json", "", "b.yaml"]))
    assert config.env_import_maps() == [Path("a.json"), Path("b.yaml")]


# -- the config at work -----------------------------------------------------------------------

@pytest.fixture
def project(no_config):
    """A template importing a URL, and a map for it beside the config."""
    write(no_config / "lib" / "types.yaml",
          HEADER + "node_types:\n  cfg.Thing:\n    derived_from: tosca.nodes.Compute\n")
    write(no_config / "maps" / "map.yaml", '"https://example.org/": ../lib/\n')
    write(no_config / "main.yaml", HEADER + "imports:\n  - https://example.org/types.yaml\n"
          "topology_template:\n  node_templates:\n    t:\n      type: cfg.Thing\n")
    return no_config


def test_the_config_import_map_serves_imports(project):
    before = validate("main.yaml", load_options(parse_cache=ParseCache()))
    assert "PT201" in [d.rule for d in before.diagnostics]  # no config yet
    write(project / ".primage-tosca.yaml", "import_map: maps/map.yaml\n")
    report = validate("main.yaml", load_options(parse_cache=ParseCache()))
    assert report.diagnostics == []


def test_the_config_is_found_from_a_subfolder(project, monkeypatch):
    write(project / ".primage-tosca.yaml", "import_map: maps/map.yaml\n")
    (project / "sub").mkdir()
    monkeypatch.chdir(project / "sub")
    report = validate("../main.yaml", load_options(parse_cache=ParseCache()))
    assert report.diagnostics == []


def test_use_config_false_ignores_it(project):
    write(project / ".primage-tosca.yaml", "import_map: maps/map.yaml\n")
    report = validate("main.yaml", load_options(use_config=False, parse_cache=ParseCache()))
    assert "PT201" in [d.rule for d in report.diagnostics]


def test_config_roots_and_online(project):
    write(project / ".primage-tosca.yaml", "roots: [lib]\nonline: true\n")
    options = load_options()
    assert options.policy.roots == [str((project / "lib").resolve())]
    assert options.policy.online is True
    assert load_options(online=False).policy.online is False  # an argument wins


def test_explicit_maps_win_over_env_over_config(project, monkeypatch, tmp_path):
    write(project / ".primage-tosca.yaml", "import_map: maps/map.yaml\n")
    env_map = write(tmp_path / "env.yaml", f'"https://example.org/": {tmp_path / "env-lib"}/\n')
    explicit = write(tmp_path / "explicit.yaml", f'"https://example.org/": {tmp_path / "explicit-lib"}/\n')
    monkeypatch.setenv(config.ENV_IMPORT_MAP, str(env_map))
    lookup = load_options().policy.import_map.lookup
    assert lookup("https://example.org/x.yaml") == tmp_path / "env-lib" / "x.yaml"
    lookup = load_options(import_map=str(explicit)).policy.import_map.lookup
    assert lookup("https://example.org/x.yaml") == tmp_path / "explicit-lib" / "x.yaml"


def test_bad_config_through_the_api(no_config):
    write(no_config / ".primage-tosca.yaml", "colour: blue\n")
    with pytest.raises(ConfigError):
        load_options()
    load_options(use_config=False)  # and it can be skipped


@pytest.mark.skipif(not (ROOT / "primage_tosca" / "cli.py").is_file(), reason="no CLI yet")
@pytest.mark.parametrize("setting", ["config", "import-map"])
def test_bad_config_or_map_on_the_command_line_is_a_usage_error(tmp_path, setting):
    template = write(tmp_path / "t.yaml", HEADER)
    bad = write(tmp_path / "bad.yaml", "colour: blue\n" if setting == "config" else "- not a map\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), config.ENV_CONFIG: str(bad) if setting == "config" else os.devnull}
    args = [sys.executable, "-m", "primage_tosca", "validate", str(template)]
    if setting == "import-map":
        args += ["--import-map", str(bad)]
    run = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    assert str(bad) in run.stderr
