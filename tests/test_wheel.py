"""The installed package carries its types: built into a wheel and installed in a fresh venv, it
validates and compiles a blueprint that imports the PRIMAGE types by their published URL, from a
folder outside the checkout, with no network, no import map and no cache.

To stay fast and offline, the wheel is built without build isolation (with the setuptools of the
running interpreter) and installed with --no-deps; the fresh venv reaches the dependencies through
a .pth file naming the running interpreter's site-packages. Those hold no copy of primage_tosca
itself (at most an editable install, whose finder a .pth-added folder never runs), and the test
checks the package imported in the venv is the installed one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

import primage_tosca
from conftest import ROOT
from primage_tosca.profiles import packaged_files

PRIMAGE_URL = "https://raw.githubusercontent.com/primage/primage_tosca/main/types/primage.yaml"
INPUTS = ["-i", "front_image=ost://cloud.example.org/ubuntu", "-i", "wn_image=ost://cloud.example.org/ubuntu"]
SOURCES = ("pyproject.toml", "README.md", "primage_tosca", "types", "recipes")


def run(command: list, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def build_wheel(work: Path) -> Path:
    """A wheel built, as `python -m build` does, from the sdist of a copy of the sources (building
    in place would leave build/ behind): the sdist must carry the types as well."""
    source = work / "src"
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            source.mkdir(exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    done = run([sys.executable, "-c", "import sys; from setuptools import build_meta; "
                "print(build_meta.build_sdist(sys.argv[1]))", work / "sdist"], source, dict(os.environ))
    assert done.returncode == 0, done.stderr
    sdist = work / "sdist" / done.stdout.strip().splitlines()[-1]
    done = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                "-q", "-w", work / "dist", sdist], work, dict(os.environ))
    assert done.returncode == 0, done.stderr
    [wheel] = (work / "dist").glob("primage_tosca-*.whl")
    return wheel


def fresh_venv(work: Path, wheel: Path) -> Path:
    folder = work / "venv"
    venv.EnvBuilder(with_pip=False).create(folder)
    python = folder / "bin" / "python"
    purelib = run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], work,
                  dict(os.environ)).stdout.strip()
    Path(purelib, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    done = run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "-q",
                wheel], work, dict(os.environ))
    assert done.returncode == 0, done.stderr
    return folder


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path, dict]:
    work = tmp_path_factory.mktemp("wheel")
    assert not work.resolve().is_relative_to(ROOT.resolve())
    folder = fresh_venv(work, build_wheel(work))
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "PRIMAGE_TOSCA"))}
    env.update(PRIMAGE_TOSCA_HOME=str(work / "home"), PRIMAGE_TOSCA_CONFIG=os.devnull, NO_COLOR="1")
    templates = work / "templates"
    templates.mkdir()
    return folder, templates, env


def test_the_installed_package_is_the_wheel_s_and_carries_every_profile_file(installed):
    folder, templates, env = installed
    script = ("import json, primage_tosca\nfrom primage_tosca.profiles import packaged_files, _FOLDER\n"
              "print(json.dumps([primage_tosca.__file__, [p.relative_to(_FOLDER).as_posix() "
              "for p in packaged_files()]]))")
    done = run([folder / "bin" / "python", "-c", script], templates, env)
    assert done.returncode == 0, done.stderr
    where, files = json.loads(done.stdout)
    assert Path(where).resolve().is_relative_to(folder.resolve())
    profiles = ROOT / "primage_tosca" / "profiles"
    expected = sorted(p.relative_to(profiles).as_posix() for p in packaged_files())
    assert files == expected and "primage/types/primage.yaml" in files and len(files) >= 20


def test_a_blueprint_importing_the_types_by_url_validates_and_compiles_outside_the_checkout(installed):
    folder, templates, env = installed
    text = (ROOT / "blueprints" / "kubernetes-cluster.yaml").read_text(encoding="utf-8")
    blueprint = templates / "cluster.yaml"
    blueprint.write_text(text.replace("  - ../types/primage.yaml\n", f"  - {PRIMAGE_URL}\n"), encoding="utf-8")
    cli = folder / "bin" / "primage-tosca"
    validated = run([cli, "validate", blueprint.name], templates, env)
    assert validated.returncode == 0 and "no problems" in validated.stdout, validated.stdout + validated.stderr
    compiled = run([cli, "compile", blueprint.name, "--to", "radl", *INPUTS], templates, env)
    assert compiled.returncode == 0, compiled.stderr
    expected = primage_tosca.compile(str(ROOT / "blueprints" / "kubernetes-cluster.yaml"), roots=[str(ROOT)],
                                     inputs=dict(pair.split("=", 1) for pair in INPUTS[1::2]))
    assert compiled.stdout.strip() == expected.strip()
    assert "Create the folder of the token file" in compiled.stdout  # a recipe the package carries


def test_profile_names_are_served_by_the_installed_package(installed):
    folder, templates, env = installed
    (templates / "profiles.yaml").write_text("tosca_definitions_version: tosca_2_0\nimports:\n"
                                             "  - profile: eu.primage.types:1.0\n", encoding="utf-8")
    script = ("from primage_tosca.imports.loader import load_sources\ns = load_sources('profiles.yaml')\n"
              "print(len(s.documents), [d.rule for d in s.diagnostics])")
    done = run([folder / "bin" / "python", "-c", script], templates, env)
    assert done.returncode == 0 and done.stdout.split() == ["11", "[]"], done.stdout + done.stderr


def test_a_2_0_blueprint_on_profile_names_compiles_outside_the_checkout_as_its_1_x_twin(installed):
    folder, templates, env = installed
    text = (ROOT / "tests" / "fixtures" / "tosca2" / "kubernetes-cluster-2.0.yaml").read_text(encoding="utf-8")
    (templates / "cluster-2.0.yaml").write_text(text, encoding="utf-8")
    compiled = run([folder / "bin" / "primage-tosca", "compile", "cluster-2.0.yaml", "--to", "radl", *INPUTS],
                   templates, env)
    assert compiled.returncode == 0, compiled.stderr
    expected = primage_tosca.compile(str(ROOT / "blueprints" / "kubernetes-cluster.yaml"), roots=[str(ROOT)],
                                     inputs=dict(pair.split("=", 1) for pair in INPUTS[1::2]))
    assert compiled.stdout.strip() == expected.strip()
