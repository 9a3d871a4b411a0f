"""The real ansible-galaxy (ansible-core from PyPI) installs, with no
network, from the requirements.yml we write (--from-cache), into a temporary
folder: roles with their dependencies, a git role and collections, at the
locked versions."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from galaxy_server import (FakeGalaxy, collection_archive, git_collection_repository, git_role_repository,
                           role_archive, write_blueprint)

from primage_tosca.galaxy.client import HttpSettings
from primage_tosca.galaxy.lock import pin_spec
from primage_tosca.galaxy.operations import lock_recipes, write_requirements
from primage_tosca.galaxy.resolve import ResolveSettings

ANSIBLE_GALAXY = Path(sys.executable).parent / "ansible-galaxy"
pytestmark = pytest.mark.skipif(not ANSIBLE_GALAXY.exists() and not shutil.which("ansible-galaxy"),
                                reason="ansible-core is not installed (pip install ansible-core)")


def ansible_galaxy(*arguments: str, home: Path) -> subprocess.CompletedProcess:
    """ansible-galaxy with a private home, and a Galaxy server that cannot
    answer: any attempt to go online fails instead of succeeding quietly."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANSIBLE_")}
    env.update({"HOME": str(home), "ANSIBLE_HOME": str(home / ".ansible"), "ANSIBLE_LOCAL_TEMP": str(home / "tmp"),
                "ANSIBLE_GALAXY_SERVER": "http://127.0.0.1:9", "ANSIBLE_NOCOLOR": "1",
                "ANSIBLE_GALAXY_DISPLAY_PROGRESS": "0", "http_proxy": "", "https_proxy": ""})
    program = str(ANSIBLE_GALAXY) if ANSIBLE_GALAXY.exists() else shutil.which("ansible-galaxy")
    return subprocess.run([program, *arguments], env=env, capture_output=True, text=True, timeout=300)


def installed_version(role_folder: Path) -> str | None:
    info = role_folder / "meta" / ".galaxy_install_info"
    return yaml.safe_load(info.read_text()).get("version") if info.is_file() else None


def test_ansible_galaxy_installs_our_requirements_offline(tmp_path):
    galaxy = FakeGalaxy().start()
    try:
        galaxy.add_role("acme", "app", {v: role_archive("acme.app", v, [{"role": "acme.base", "version": "0.3"}])
                                        for v in ("1.0.0", "1.1.0")})
        galaxy.add_role("acme", "base", {v: role_archive("acme.base", v) for v in ("0.3", "0.4")})
        galaxy.add_role("acme", "web", {"2.0": role_archive("acme.web", "2.0", ["ansible-role-docker"])})
        bare = git_role_repository(tmp_path / "git", "ansible-role-docker", {"v1": None, "deep-dev": None})
        galaxy.folders["/git/ansible-role-docker.git"] = bare
        dataset = git_collection_repository(tmp_path / "git", "ansible-collection-dataset", "grycap", "dataset",
                                            {"1.0.0": None, "1.1.0": {"acme.base": ">=1.0.0"}})
        galaxy.folders["/git/ansible-collection-dataset.git"] = dataset
        galaxy.add_collection("acme", "base", {"1.3.0": collection_archive("acme", "base", "1.3.0")})
        galaxy.add_collection("acme", "tools", {"1.5.0": collection_archive("acme", "tools", "1.5.0",
                                                                              {"acme.base": ">=1.0.0"})},
                              {"1.5.0": {"acme.base": ">=1.0.0"}})
        project = tmp_path / "project"
        project.mkdir()
        blueprint = write_blueprint(project / "app.yaml",
                                    ["acme.app", "acme.web,2.0",
                                     f"git+{galaxy.url}/git/ansible-role-docker.git,deep-dev"],
                                    ["acme.tools", f"git+{galaxy.url}/git/ansible-collection-dataset.git,1.1.0"])
        result = lock_recipes([blueprint], lock_path=project / "recipes.lock", recipes_dir=project / "recipes",
                              settings=ResolveSettings(server=galaxy.url, http=HttpSettings(read_timeout=10)))
        lock = result.resolution.lock
        requests_while_locking = len(galaxy.log)
        server = galaxy.url
    finally:
        galaxy.stop()  # from here on there is no server at all

    requirements = project / "requirements.yml"
    requirements.write_text(write_requirements(lock, from_cache=True))
    home = tmp_path / "home"
    home.mkdir()
    roles, collections = tmp_path / "install" / "roles", tmp_path / "install" / "collections"

    done = ansible_galaxy("role", "install", "-r", str(requirements), "-p", str(roles), home=home)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "was installed successfully" in done.stdout
    assert "is already installed, skipping" in done.stdout  # the dependencies came first
    expected = {"acme.app": "1.1.0", "acme.base": "0.3", "acme.web": "2.0",
                "ansible-role-docker": lock.find("role", "ansible-role-docker").commit}
    assert {p.name: installed_version(p) for p in roles.iterdir()} == expected
    assert (roles / "acme.app" / "tasks" / "main.yml").read_text().count("1.1.0") == 2
    assert "deep-dev" in (roles / "ansible-role-docker" / "tasks" / "main.yml").read_text()
    listed = ansible_galaxy("role", "list", "-p", str(roles), home=home).stdout
    assert "- acme.app, 1.1.0" in listed and "- acme.base, 0.3" in listed

    done = ansible_galaxy("collection", "install", "--offline", "-r", str(requirements), "-p", str(collections),
                          home=home)
    assert done.returncode == 0, done.stdout + done.stderr
    manifests = {p.parent.name: yaml.safe_load(p.read_text())["collection_info"]["version"]
                 for p in (collections / "ansible_collections").glob("*/*/MANIFEST.json")}
    assert manifests == {"base": "1.3.0", "tools": "1.5.0", "dataset": "1.1.0"}
    git_collection = lock.find("collection", "ansible-collection-dataset")
    assert git_collection.source == "git" and git_collection.dependencies == ["acme.base"]
    spec = f"git+{server}/git/ansible-collection-dataset.git,1.1.0"
    assert pin_spec(spec, lock, kind="collection") == spec.replace(",1.1.0", f",{git_collection.commit}")
    assert requests_while_locking > 0 and len(galaxy.log) == requests_while_locking

    # and the pinned (online) form says the same versions
    pinned = yaml.safe_load(write_requirements(lock))
    assert {"src": "acme.app", "version": "1.1.0"} in pinned["roles"]
    assert {"name": "acme.tools", "version": "1.5.0", "source": server} in pinned["collections"]
