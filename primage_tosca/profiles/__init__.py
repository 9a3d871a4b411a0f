"""The normative types of each TOSCA Simple Profile version, shipped as package data.

Each file is a complete TOSCA definitions document of one `tosca_definitions_version`,
written for this project from the OASIS specification of that version. This module only
finds the files; it parses nothing, so importing it costs next to nothing.
"""

from __future__ import annotations

from pathlib import Path

_FOLDER = Path(__file__).resolve().parent
FOLDER = _FOLDER  # where the packaged profiles live

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


# TOSCA 2.0 profile name -> the file that declares it (imported by `profile:`)
_PROFILES_2 = {
    "org.oasis-open.simple:2.0": "org.oasis-open.simple/2.0/profile.yaml",
}


def known_profiles() -> list[str]:
    return sorted(_PROFILES_2)


def profile_by_name(name: str) -> Path | None:
    """The file declaring a TOSCA 2.0 profile we ship, or None."""
    file = _PROFILES_2.get(name) if isinstance(name, str) else None
    return _FOLDER / file if file else None
