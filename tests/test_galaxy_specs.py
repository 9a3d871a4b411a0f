"""The recipe spec grammar (IM / ansible-galaxy forms) and version ordering."""

from __future__ import annotations

import pytest

from primage_tosca.galaxy.errors import SpecError
from primage_tosca.galaxy.specs import (COLLECTION, GALAXY, GIT, ROLE, URL, parse_application, parse_collection_spec,
                                        parse_requirement, parse_role_spec, parse_spec)
from primage_tosca.galaxy.versions import highest_loose, highest_matching, loose_key, satisfies


@pytest.mark.parametrize("text, source, name, version, src", [
    ("indigo-dc.nfs", GALAXY, "indigo-dc.nfs", None, None),
    ("indigo-dc.nfs,master", GALAXY, "indigo-dc.nfs", "master", None),
    ("  grycap.docker,v1.2.3  ", GALAXY, "grycap.docker", "v1.2.3", None),
    ("git+https://github.com/indigo-dc/ansible-role-docker.git,deep-dev", GIT, "ansible-role-docker", "deep-dev",
     "git+https://github.com/indigo-dc/ansible-role-docker.git"),
    ("git+https://github.com/grycap/ansible-role-im|grycap.im", GIT, "grycap.im", None,
     "git+https://github.com/grycap/ansible-role-im"),
    ("https://example.org/roles/nfs-1.0.tar.gz|my_nfs", URL, "my_nfs", None, "https://example.org/roles/nfs-1.0.tar.gz"),
    ("https://example.org/roles/nfs.tar.gz", URL, "nfs", None, "https://example.org/roles/nfs.tar.gz"),
])
def test_role_forms(text, source, name, version, src):
    spec = parse_role_spec(text)
    assert (spec.kind, spec.source, spec.name, spec.version, spec.src) == (ROLE, source, name, version, src)
    assert parse_role_spec(str(spec)) == parse_role_spec(str(spec))  # the canonical form parses again


def test_the_ansible_galaxy_grammar_of_role_metadata():
    """meta/main.yml and requirements.yml may say src,version,name."""
    spec = parse_role_spec("geerlingguy.java,2.0.0,java", im_grammar=False)
    assert (spec.name, spec.version, spec.install_name) == ("geerlingguy.java", "2.0.0", "java")
    git = parse_role_spec("git+https://host/org/repo.git,v2,named", im_grammar=False)
    assert (git.source, git.name, git.version) == (GIT, "named", "v2")
    assert parse_collection_spec("community.general,>=7.0.0,<8.0.0", im_grammar=False).version == ">=7.0.0,<8.0.0"


@pytest.mark.parametrize("text, words", [
    ("geerlingguy.java,2.0.0,java", "IM ignores a third ',' part"),
    ("git+https://host/org/repo.git,v2,named", "IM ignores a third ',' part"),
    ("git+https://host/org/repo.git,v2|named", "IM drops '|named' when ',v2' is given"),
    ("https://host/r/x.tar.gz,1|x", "IM drops '|x'"),
])
def test_what_im_would_read_differently_is_refused(text, words):
    with pytest.raises(SpecError, match=words):
        parse_role_spec(text)


@pytest.mark.parametrize("text, words", [
    ("", "empty"),
    ("   ", "empty"),
    ("nfs", "no namespace"),
    ("indigo-dc.", "not a Galaxy role name"),
    (".nfs", "not a Galaxy role name"),
    ("a.b.c", "not a Galaxy role name"),
    ("indigo-dc.nfs,", "version after ',' is empty"),
    ("indigo-dc.nfs,1.0,name,extra", "more than three"),
    ("indigo dc.nfs", "white space"),
    ("indigo-dc.nfs|other", "may only follow"),
    ("https://example.org/x.tar.gz|", "name after '|' is empty"),
    ("git+ftp://example.org/repo", "scheme ftp"),
    ("git+ssh://git@github.com/org/repo", "scheme ssh"),
    ("hg+https://example.org/repo", "source control system 'hg'"),
    ("ftp://example.org/x.tar.gz|x", "scheme ftp"),
    ("https://user:secret@example.org/x.tar.gz|x", "credentials"),
    ("https://example.org/|x", "no path"),
    ("indigo-dc.nfs,../../etc", "not a version"),
    ("indigo-dc.nfs,-rf", "not a version"),
    ("git+https://h/o/r,1|a|b", "more than one '|'"),
])
def test_malformed_role_specs_say_why(text, words):
    with pytest.raises(SpecError) as caught:
        parse_role_spec(text)
    assert words in str(caught.value)
    assert "expected" in str(caught.value)  # every message shows the accepted forms


def test_a_spec_must_be_a_string():
    with pytest.raises(SpecError, match="must be a string"):
        parse_role_spec(["indigo-dc.nfs"])


@pytest.mark.parametrize("text, name, version, source", [
    ("community.general", "community.general", None, GALAXY),
    ("community.general,7.5.0", "community.general", "7.5.0", GALAXY),
    ("community.general,>=7.0.0", "community.general", ">=7.0.0", GALAXY),
    ("https://example.org/c/ns-coll-1.2.3.tar.gz", "ns.coll", "1.2.3", URL),
    ("git+https://github.com/grycap/ansible-collection-dataset", "ansible-collection-dataset", None, GIT),
    ("git+https://github.com/grycap/ansible-collection-dataset,v1.0", "ansible-collection-dataset", "v1.0", GIT),
])
def test_collection_forms(text, name, version, source):
    spec = parse_collection_spec(text)
    assert (spec.kind, spec.name, spec.version, spec.source) == (COLLECTION, name, version, source)


@pytest.mark.parametrize("text, words", [
    ("Community.General", "not a collection name"),
    ("community", "not a collection name"),
    ("community.general,>=x y", "white space"),
    ("community.general,~>1", "not a version"),
    ("community.general,<<2", "not an operator"),
    ("community.general,>=1.0,<2.0", "IM keeps only '>=1.0'"),
    ("git+https://github.com/org/coll|acme.coll", "drop the '|name'"),
    ("hg+https://example.org/coll", "source control system 'hg'"),
    ("https://example.org/c/archive.tar.gz", "namespace-name-version"),
])
def test_malformed_collection_specs(text, words):
    with pytest.raises(SpecError, match=words):
        parse_collection_spec(text)


def test_radl_applications():
    assert parse_application("ansible.roles.grycap.kubernetes").name == "grycap.kubernetes"
    legacy = parse_application("ansible.modules.grycap.clues")
    assert (legacy.kind, legacy.name) == (ROLE, "grycap.clues")
    versioned = parse_application("ansible.roles.grycap.im", "1.2")
    assert versioned.version == "1.2"
    collection = parse_application("ansible.collections.community.general,7.0.0")
    assert (collection.kind, collection.version) == (COLLECTION, "7.0.0")
    assert parse_application("python3") is None
    with pytest.raises(SpecError):
        parse_application("ansible.roles.nodot")


def test_requirement_mappings():
    assert parse_requirement({"role": "geerlingguy.java", "version": 2.0}).version == "2.0"
    assert parse_requirement({"src": "https://h/r/x.tar.gz", "name": "x2"}).name == "x2"
    git = parse_requirement({"src": "https://github.com/org/repo.git", "scm": "git", "version": "v1"})
    assert (git.source, git.name, git.version) == (GIT, "repo", "v1")
    named = parse_requirement({"src": "geerlingguy.java", "name": "java"})
    assert (named.name, named.install_name) == ("geerlingguy.java", "java")
    assert parse_requirement({"name": "community.general", "version": ">=7"}, COLLECTION).version == ">=7"
    with pytest.raises(SpecError, match="scm 'hg'"):
        parse_requirement({"src": "https://h/r", "scm": "hg"})
    with pytest.raises(SpecError, match="needs 'src'"):
        parse_requirement({"version": "1"})
    with pytest.raises(SpecError, match="unknown recipe kind"):
        parse_spec("a.b", "playbook")


def test_loose_ordering_matches_ansible_galaxy_choices():
    assert highest_loose(["1.0.0", "1.10.0", "1.2.0"]) == "1.10.0"
    assert highest_loose(["v1.9", "v1.10"]) == "v1.10"
    assert highest_loose(["1.0", "master", "2.0"]) == "2.0"  # numbers sort above words, never an error
    assert highest_loose([]) is None
    assert loose_key("1.0") < loose_key("1.0.1")


def test_collection_versions_and_ranges():
    versions = ["1.0.0", "1.5.0", "2.0.0-rc1", "2.0.0", "2.1.0", "3.0.0-beta.1"]
    assert highest_matching(versions, []) == "2.1.0"  # pre-releases only when named
    assert highest_matching(versions, [">=1.0.0,<2.0.0"]) == "1.5.0"
    assert highest_matching(versions, ["2.0.0-rc1"]) == "2.0.0-rc1"
    assert highest_matching(versions, [">=4.0.0"]) is None
    assert satisfies("2.0.0", "!=1.0.0") and not satisfies("1.0.0", "!=1.0.0")
    assert satisfies("1.2.3", "*")
