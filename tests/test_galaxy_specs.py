"""The recipe spec grammar (IM / ansible-galaxy forms) and version ordering."""

from __future__ import annotations

import re

import pytest

from primage_tosca.galaxy import errors
from primage_tosca.galaxy.versions import highest_loose, highest_matching, loose_key, satisfies
from primage_tosca.recipe_specs import (COLLECTION, GALAXY, GIT, ROLE, URL, SpecError, parse_application,
                                              parse_collection_spec, parse_requirement, parse_role_spec, parse_spec,
                                              remote_http_host)


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
    ("git+https://github.com/org/repo.git,v1.0|x", "IM drops '|x' when ',v1.0' is given"),  # PT600 let it pass
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


# What rule PT600's own parser (checks/artifacts.py, now gone) accepted and refused, against the merged one.

@pytest.mark.parametrize("text, source, name, version, src", [
    ("grycap.docker", GALAXY, "grycap.docker", None, None),
    ("indigo-dc.slurm,cons_res", GALAXY, "indigo-dc.slurm", "cons_res", None),
    ("git+https://github.com/org/ansible-role-x|x", GIT, "x", None, "git+https://github.com/org/ansible-role-x"),
    ("https://example.org/r/role.tar.gz|role", URL, "role", None, "https://example.org/r/role.tar.gz"),
])
def test_artifact_role_forms(text, source, name, version, src):
    spec = parse_spec(text, ROLE, im_grammar=True)
    assert (spec.kind, spec.source, spec.name, spec.version, spec.src) == (ROLE, source, name, version, src)
    assert remote_http_host(spec) is None


@pytest.mark.parametrize("text, words", [
    ("", "empty"),
    (" ", "empty"),
    ("docker", "no namespace"),
    ("a.b.c", "not a Galaxy role name"),
    ("ns.role,", "version after ',' is empty"),
    ("ns.role,1,2", "IM ignores a third ',' part"),
    ("ns.role|", "name after '|' is empty"),
    ("ns role", "white space"),
    ("git+ssh://git@github.com/o/r", "scheme ssh"),
    ("git+https://", "no host"),
    (42, "must be a string"),
])
def test_artifact_roles_refused(text, words):
    with pytest.raises(SpecError, match=words) as caught:
        parse_spec(text, ROLE, im_grammar=True)
    assert caught.value.hint.startswith("expected one of: ns.role, ns.role,version, git+https://")


def test_plain_http_parses_and_is_told_apart_by_host():
    """The recipe commands fetch from a local test server over http (their
    client refuses other hosts unless --allow-http); PT600 refuses what
    :func:`remote_http_host` names."""
    assert remote_http_host(parse_role_spec("git+http://github.com/o/r")) == "github.com"
    assert remote_http_host(parse_role_spec("http://example.org/r/x.tar.gz|x")) == "example.org"
    assert remote_http_host(parse_collection_spec("http://example.org/c/ns-coll-1.0.0.tar.gz")) == "example.org"
    for local in ("http://127.0.0.1:8000/r/x.tar.gz|x", "git+http://localhost/o/r", "http://[::1]/r/x.tgz|x"):
        assert remote_http_host(parse_role_spec(local)) is None
    assert remote_http_host(parse_role_spec("https://example.org/r/x.tar.gz|x")) is None
    assert remote_http_host(parse_role_spec("grycap.docker")) is None


def test_any_https_url_is_an_archive_and_keeps_its_version():
    """PT600 refused these; ansible-galaxy downloads any URL (then checks it is
    a tar archive) and records a version it is given."""
    bare = parse_role_spec("https://x.org/r")
    assert (bare.source, bare.name, bare.src) == (URL, "r", "https://x.org/r")
    versioned = parse_role_spec("https://x.org/r.tar.gz,1.0")
    assert (versioned.source, versioned.name, versioned.version) == (URL, "r", "1.0")


@pytest.mark.parametrize("text, name, version, src", [
    ("https://github.com/org/ansible-role-x", "ansible-role-x", None, "git+https://github.com/org/ansible-role-x"),
    ("https://github.com/org/repo.git,v1.0", "repo", "v1.0", "git+https://github.com/org/repo.git"),
    ("https://github.com/org/repo|x", "x", None, "git+https://github.com/org/repo"),
])
def test_a_github_page_is_a_git_repository(text, name, version, src):
    """IM writes {src: ...}; ansible-galaxy prefixes git+ to such a src."""
    spec = parse_role_spec(text)
    assert (spec.source, spec.name, spec.version, spec.src) == (GIT, name, version, src)
    assert spec.clone_url == src[len("git+"):]
    assert parse_role_spec(text, im_grammar=False) == spec  # the lock file reads it back the same
    mapping = parse_requirement({"src": text.split("|")[0].split(",")[0]})
    assert (mapping.source, mapping.src) == (GIT, src)


def test_a_github_archive_is_an_archive_unless_ansible_galaxy_would_clone_it():
    release = parse_role_spec("https://github.com/org/repo/releases/download/v1/role.tar.gz|role")
    assert (release.source, release.name) == (URL, "role")
    with pytest.raises(SpecError, match="clones a github.com URL that does not end in '.tar.gz'"):
        parse_role_spec("https://github.com/org/repo/archive/v1.tgz|role")
    assert parse_role_spec("https://github.com/org/repo/archive/v1.tgz|role", im_grammar=False).source == URL


def test_artifact_collection_forms():
    assert parse_collection_spec("ansible.posix").source == GALAXY
    assert parse_collection_spec("community.general,8.0.2").version == "8.0.2"
    assert parse_collection_spec("git+https://github.com/grycap/ansible-collection-dataset").source == GIT


@pytest.mark.parametrize("text, words", [
    ("posix", "not a collection name"),
    ("ansible.posix|posix", "'|name' may only follow an archive URL"),
    ("indigo-dc.thing", "not a collection name"),
    ("https://github.com/o/r", "not named namespace-name-version.tar.gz"),
    ("Community.General", "lower case (did you mean 'community.general'?)"),  # PT600 accepted capitals
    ("1password.connect", "each part starting with a letter"),
    ("acme.import", "Python keyword"),
    ("https://example.org/c/archive.tar.gz|acme.coll", "IM does not split '|'"),
    ("https://example.org/c/acme-coll-1.0.0.tar.gz,1.0.0", "drop the ','-part"),
])
def test_artifact_collections_refused(text, words):
    with pytest.raises(SpecError, match=re.escape(words)) as caught:
        parse_spec(text, COLLECTION, im_grammar=True)
    assert caught.value.hint.startswith("expected one of: ns.collection")


def test_collection_archive_names_outside_the_im_grammar():
    named = parse_collection_spec("https://example.org/c/archive.tar.gz|acme.coll", im_grammar=False)
    assert (named.source, named.name, named.src) == (URL, "acme.coll", "https://example.org/c/archive.tar.gz")
    typed = parse_requirement({"name": "https://example.org/c/acme-coll-1.0.0.tar.gz", "type": "url",
                               "version": "1.0.0"}, COLLECTION)
    assert (typed.name, typed.version) == ("acme.coll", "1.0.0")
    assert typed.src == "https://example.org/c/acme-coll-1.0.0.tar.gz"


def test_the_galaxy_package_re_exports_the_spec_error():
    assert errors.SpecError is SpecError and issubclass(SpecError, errors.RecipeError)


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
