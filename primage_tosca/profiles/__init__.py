"""The normative types of each TOSCA Simple Profile version, shipped as package data.

Each file is a complete TOSCA definitions document of one `tosca_definitions_version`,
written for this project from the OASIS specification of that version. This module only
finds the files; it parses nothing, so importing it costs next to nothing.
"""

from __future__ import annotations

from pathlib import Path

_FOLDER = Path(__file__).resolve().parent

# tosca_definitions_version value -> file holding its normative types
_FILES = {
    "tosca_simple_yaml_1_0": "tosca_simple_yaml_1_0.yaml",
    "tosca_simple_yaml_1_1": "tosca_simple_yaml_1_1.yaml",
    "tosca_simple_yaml_1_2": "tosca_simple_yaml_1_2.yaml",
    "tosca_simple_yaml_1_3": "tosca_simple_yaml_1_3.yaml",
}

KNOWN_VERSIONS: tuple[str, ...] = tuple(_FILES)


def profile_path(version: str) -> Path | None:
    """The file of normative types for a `tosca_definitions_version` value, or None when we
    ship none for it (an unknown version, or a value that is not a string)."""
    if not isinstance(version, str):
        return None
    name = _FILES.get(version)
    return _FOLDER / name if name else None


# -- the built-in catalogue: what the package serves offline --------------------------------------
#
# Templates name these files by their published URL, or (TOSCA 2.0) by profile name; the package
# carries a copy of each, so an installed wheel validates and compiles them with no network, no
# import map and no `types pull`. In `primage/`, `types` and `recipes` are links to the
# repository's top-level folders, the one copy of the PRIMAGE types and of the playbooks their
# operations name (the wheel holds the files themselves).

PRIMAGE = _FOLDER / "primage"
PRIMAGE_TYPES = PRIMAGE / "types"
SIMPLE_2_0 = _FOLDER / "org.oasis-open.simple" / "2.0"

_PRIMAGE_URL = "https://raw.githubusercontent.com/primage/primage_tosca/{ref}/"
_OASIS_URL = ("https://raw.githubusercontent.com/oasis-open/tosca-community-contributions/{ref}/"
              "profiles/org/oasis-open/simple/2.0/")


def builtin_urls() -> dict[str, Path]:
    """Published URL prefix -> packaged folder. The PRIMAGE types are served for `main` and for
    this release's tag only: a template pinned to another release may differ from our copy."""
    from .. import __version__

    return {
        _PRIMAGE_URL.format(ref="main"): PRIMAGE,
        _PRIMAGE_URL.format(ref=f"v{__version__}"): PRIMAGE,
        _OASIS_URL.format(ref="master"): SIMPLE_2_0,
        _OASIS_URL.format(ref="refs/heads/master"): SIMPLE_2_0,
    }


# TOSCA 2.0 profile name -> the published URL of the file that declares it (served from the
# package through builtin_urls(), so the profile's relative imports are served the same way)
BUILTIN_PROFILES: dict[str, str] = {
    "org.oasis-open.simple:2.0": _OASIS_URL.format(ref="master") + "profile.yaml",
    "eu.primage.types:1.0": _PRIMAGE_URL.format(ref="main") + "types/primage-2.0.yaml",
}

# Other names of a built-in profile: the standard's own example (6.8.3, s24) imports the simple
# profile as org.oasis-open.tosca.simple:2.0
PROFILE_ALIASES: dict[str, str] = {"org.oasis-open.tosca.simple:2.0": "org.oasis-open.simple:2.0"}


def packaged_files() -> list[Path]:
    """Every file the package carries here (normative profiles of each version, the PRIMAGE
    types and recipes), for checks that an installation is complete."""
    # rglob does not enter the linked folders of a checkout, so they are listed on their own
    found = set(_FOLDER.rglob("*.yaml")) | set(PRIMAGE_TYPES.glob("*.yaml")) | set((PRIMAGE / "recipes").glob("*"))
    return sorted(path for path in found if path.is_file())


# TOSCA 2.0 profile types -> the TOSCA 1.3 normative types the compilers read them as
EQUIVALENTS_2_0 = _FOLDER / "equivalents-2.0.yaml"
