"""Recipe specs: the strings that name an Ansible role or collection.

The one parser of these strings: rule PT600 (:mod:`..checks.artifacts`)
checks TOSCA artifacts with it and the recipe stage (:mod:`..galaxy`)
resolves what it reads. Pure functions, no I/O. The grammar is the one IM and
``ansible-galaxy`` accept, so what we read is what IM will install:

* ``ns.role`` and ``ns.role,version``;
* ``git+https://host/org/repo[.git][,ref]`` and ``git+https://host/org/repo|name``;
* ``https://host/path/archive.tar.gz|name`` (``url|name``);
* collections: ``ns.name``, ``ns.name,1.2.3``, ``ns.name,>=1.0``, a
  ``https://.../ns-name-1.2.3.tar.gz`` URL and ``git+https://host/org/repo[,ref]``.

``im_grammar`` (the default: TOSCA artifacts, RADL applications) refuses
what IM would read differently from ``ansible-galaxy``, because IM splits
the spec itself before it writes the requirements file ``ansible-galaxy``
reads (``IM/CtxtAgentBase.py``, ``install_ansible_roles``):

* a role's third ``,name`` part: IM keeps ``src,version`` only;
* ``src,version|name``: IM splits ``|`` first, then rebuilds the entry from
  ``src,version`` alone, so the name is lost and the role is installed
  under its repository's name;
* a collection range with a ``,``: IM keeps the first clause only;
* ``url|name`` for a collection: IM does not split ``|`` for collections,
  so it would become part of the URL.

Role metadata and ``requirements.yml`` use ``im_grammar=False``, the full
``ansible-galaxy`` grammar (``src,version,name``, multi-clause ranges).
Dictionaries (``requirements.yml`` entries and ``meta/main.yml``
dependencies) are read by :func:`parse_requirement`.

Decisions where the former PT600 parser and the recipe stage disagreed
(checked against IM 2.0 and ansible-core 2.19):

* GitHub repository pages (``https://github.com/org/repo``) are roles from
  git. IM writes each role as a mapping ``{src: ...}`` and for a mapping
  ``ansible-galaxy`` prefixes ``git+`` to any ``src`` that contains
  ``github.com`` and ``http``, has no ``+`` and does not end in ``.tar.gz``
  (``RoleRequirement.role_yaml_parse``). So such a spec reads as
  ``git+https://github.com/org/repo`` (``source`` git, ``,ref`` a branch,
  tag or commit), and in IM's grammar a ``.tgz`` or ``.tar`` link on
  GitHub, which ``ansible-galaxy`` would try to clone, is refused. IM
  installs the git package only for specs that start with ``git``: the
  canonical form writes ``git+https://``, and so does ``pin_spec`` when it
  adds the commit. The rewrite applies in both grammars: the lock file
  records specs as templates wrote them, and
  the one string form ``ansible-galaxy`` reads otherwise (a plain string in
  ``requirements.yml``, fetched as an archive) would fail on the HTML page.
* Any other ``https://`` URL is an archive, whatever its name ends with:
  ``ansible-galaxy`` downloads it and only then checks it is a tar archive
  (API tarball links have no suffix). A ``,version`` after it is kept, as
  ``ansible-galaxy`` does (it records it, the archive is the pin).
* Collection names are lower case and start with a letter: Galaxy's
  importer only publishes ``[a-z][a-z0-9_]*`` names, so ``Community.General``
  (a Python identifier, which is all ``ansible-galaxy`` asks, but no name
  Galaxy has) is refused with the lower-case spelling as a hint. Python
  keywords are refused as ``ansible-galaxy`` does.
* Plain ``http://`` parses here (the recipe stage tests against a local
  server, and its client decides, see ``--allow-http``); PT600 refuses it for
  any host but a loopback one, see :func:`remote_http_host`.
"""

from __future__ import annotations

import ipaddress
import keyword
import re
from typing import Any
from urllib.parse import urlsplit

from .records import record, replace

ROLE = "role"
COLLECTION = "collection"
KINDS = (ROLE, COLLECTION)

GALAXY, GIT, URL = "galaxy", "git", "url"

# RADL application prefixes IM understands; ``ansible.modules.`` is the older
# spelling of ``ansible.roles.`` that EC3 templates still use.
APPLICATION_PREFIXES = {
    "ansible.roles.": ROLE,
    "ansible.modules.": ROLE,
    "ansible.collections.": COLLECTION,
}

_ROLE_PART = r"[A-Za-z0-9_][A-Za-z0-9_-]*"
_ROLE_NAME = re.compile(rf"^{_ROLE_PART}\.{_ROLE_PART}$")
_INSTALL_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_COLLECTION_PART = r"[a-z][a-z0-9_]*"
_COLLECTION_NAME = re.compile(rf"^({_COLLECTION_PART})\.({_COLLECTION_PART})$")
_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+@/-]*$")
_RANGE_CLAUSE = re.compile(r"^(==|!=|>=|<=|>|<|=)?\s*([A-Za-z0-9][A-Za-z0-9._+-]*)$")
_ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar")

ROLE_FORMS = ("ns.role, ns.role,version, git+https://host/org/repo[,version], git+https://host/org/repo|name, "
              "https://github.com/org/repo, or https://host/path/role.tar.gz[|name]")
COLLECTION_FORMS = ("ns.collection, ns.collection,version (or one clause such as >=1.0), "
                    "git+https://host/org/repo[,version], or https://host/path/ns-collection-1.0.0.tar.gz")
FORMS = f"a role {ROLE_FORMS}; or a collection {COLLECTION_FORMS}"


# -- errors ------------------------------------------------------------------------------------------


class RecipeError(Exception):
    """Base of every error the recipe stage raises on purpose (the rest are in
    :mod:`..galaxy.errors`). Every error says what went wrong in one sentence a
    person can act on; most also carry a ``hint`` (the accepted forms, or the
    command that fixes it) and, when the problem was asked for somewhere, the
    place (``origin``: file:line:col)."""

    def __init__(self, message: str, *, hint: str | None = None, origin: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.origin = origin

    def __str__(self) -> str:
        text = f"{self.origin}: {self.message}" if self.origin else self.message
        return f"{text} ({self.hint})" if self.hint else text

    def as_dict(self) -> dict:
        return {"error": type(self).__name__, "message": self.message, "origin": self.origin, "hint": self.hint}


class SpecError(RecipeError, ValueError):
    """A recipe spec (``ns.role,version``, ``url|name``...) is malformed or unsupported."""


# -- the parsed spec ---------------------------------------------------------------------------------


@record(frozen=True)
class RecipeSpec:
    """One parsed spec.

    ``name`` identifies the recipe: ``ns.role`` for Galaxy roles, ``ns.name``
    for collections, the installed role name for git and URL sources.
    ``version`` is the pinned version, branch or tag as written (a range for
    collections), None when the newest is wanted. ``src`` is the git or
    archive URL (git URLs keep, or for GitHub pages get, their ``git+`` prefix)."""

    raw: str
    kind: str
    source: str
    name: str
    version: str | None = None
    src: str | None = None
    install_name: str | None = None  # ``ns.role,1.0,other``: install under another name

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.name)

    @property
    def is_range(self) -> bool:
        return self.kind == COLLECTION and self.version is not None and is_range(self.version)

    @property
    def pinned(self) -> bool:
        """An exact version (or git ref) is asked for."""
        return self.version is not None and not self.is_range and self.version != "*"

    @property
    def clone_url(self) -> str | None:
        """The URL git is given (without ``git+``)."""
        if self.source != GIT or not self.src:
            return None
        return self.src[len("git+"):]

    def __str__(self) -> str:
        return canonical(self)


def canonical(spec: RecipeSpec) -> str:
    """The spec in the IM grammar, normalised."""
    if spec.source == GALAXY:
        text = spec.name if spec.version is None else f"{spec.name},{spec.version}"
        if spec.install_name:
            text = f"{spec.name},{spec.version or ''},{spec.install_name}"
        return text
    if spec.source == GIT:
        text = spec.src if spec.version is None else f"{spec.src},{spec.version}"
        return text if spec.name == derived_name(spec.src or "") else f"{text}|{spec.name}"
    if spec.kind == COLLECTION:
        return spec.src or spec.name
    return f"{spec.src}|{spec.name}"


def is_range(version: str) -> bool:
    return version == "*" or version[:1] in "<>=!" or "," in version


def parse_range(version: str) -> list[tuple[str, str]]:
    """``>=1.0,<2.0`` -> ``[('>=', '1.0'), ('<', '2.0')]``; ``*`` -> ``[]``."""
    if version.strip() == "*":
        return []
    clauses = []
    for part in version.split(","):
        match = _RANGE_CLAUSE.match(part.strip())
        if not match:
            raise SpecError(f"malformed version range {version!r}: {part.strip()!r} is not an operator "
                            "(==, !=, >=, <=, >, <) followed by a version",
                            hint=f"expected one of: {COLLECTION_FORMS}")
        clauses.append((match.group(1) or "==", match.group(2)))
    return clauses


def derived_name(url: str) -> str:
    """The role name ``ansible-galaxy`` gives a git or archive URL with no
    explicit name: its last path segment without ``.git`` or an archive suffix."""
    path = urlsplit(url[len("git+"):] if url.startswith("git+") else url).path.rstrip("/")
    last = path.rsplit("/", 1)[-1]
    for suffix in (".git", *_ARCHIVE_SUFFIXES):
        if last.endswith(suffix):
            last = last[: -len(suffix)]
            break
    return last


def github_is_git(src: str) -> bool:
    """``ansible-galaxy``'s test for a role mapping's ``src`` it clones with git
    although it has no ``git+``: it mentions ``github.com`` and ``http``, has
    no ``+`` and does not end in ``.tar.gz``."""
    return "github.com" in src and "http" in src and "+" not in src and not src.endswith(".tar.gz")


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def remote_http_host(spec: RecipeSpec) -> str | None:
    """The host ``spec`` is fetched from over plain ``http://``, unless it is a
    loopback host (a local test server); None for https and Galaxy names."""
    if not spec.src:
        return None
    parts = urlsplit(spec.src[len("git+"):] if spec.src.startswith("git+") else spec.src)
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        return parts.hostname or ""
    return None


# -- parsing -----------------------------------------------------------------------------------------


def _forms(kind: str) -> str:
    return f"expected one of: {COLLECTION_FORMS if kind == COLLECTION else ROLE_FORMS}"


def _fail(text: Any, why: str, kind: str = ROLE) -> SpecError:
    return SpecError(f"malformed recipe spec {text!r}: {why}", hint=_forms(kind))


def _check_text(text: Any, kind: str) -> str:
    if not isinstance(text, str):
        raise SpecError(f"a {kind} spec must be a string, not {type(text).__name__} ({text!r})", hint=_forms(kind))
    stripped = text.strip()
    if not stripped:
        raise _fail(text, "it is empty", kind)
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in stripped):
        raise _fail(text, "it contains white space or a control character", kind)
    return stripped


def _check_version(text: str, version: str, kind: str = ROLE) -> str:
    if not version:
        raise _fail(text, "the version after ',' is empty", kind)
    if version[:1] in "<>=!":
        raise _fail(text, f"{version!r} is not a version, branch or tag name: a {kind} from this source takes "
                          "no version range", kind)
    if not _VERSION.match(version) or ".." in version or version.endswith("/"):
        raise _fail(text, f"{version!r} is not a version, branch or tag name", kind)
    return version


def _check_url(text: str, url: str, *, git: bool, kind: str = ROLE) -> str:
    parts = urlsplit(url[len("git+"):] if git else url)
    if parts.scheme not in ("https", "http"):
        what = "git+https:// (or git+http:// to a local server)" if git else "https:// (or http:// to a local server)"
        raise _fail(text, f"the scheme {parts.scheme or '(none)'}:// is not supported; use {what}", kind)
    if not parts.hostname:
        raise _fail(text, "the URL has no host", kind)
    if parts.username or parts.password:
        raise _fail(text, "the URL carries credentials; recipes must not embed secrets", kind)
    if not parts.path.strip("/"):
        raise _fail(text, "the URL has no path", kind)
    if parts.query or parts.fragment:
        raise _fail(text, "the URL has a query or fragment, which the IM grammar cannot carry", kind)
    return url


def _url_role_name(raw: str, src: str, given: str | None) -> str:
    name = given or derived_name(src)
    if not name or not _INSTALL_NAME.match(name):
        raise _fail(raw, "no role name can be derived from the URL; add '|name'")
    return name


def parse_role_spec(text: Any, im_grammar: bool = True) -> RecipeSpec:
    """Parse a role spec in the IM / ``ansible-galaxy`` string grammar.

    ``im_grammar`` (the default, for TOSCA artifacts and RADL applications)
    refuses what IM would read differently from ``ansible-galaxy``: IM keeps
    only ``src,version`` of a comma list (a third ``,name`` is dropped) and
    drops ``|name`` when a ``,version`` is given. A GitHub page is read as a
    git repository, as ``ansible-galaxy`` does with the mapping IM writes.
    Role metadata and ``requirements.yml`` strings use the full
    ``ansible-galaxy`` grammar (``im_grammar=False``)."""
    raw = text
    text = _check_text(text, ROLE)
    bar_name = None
    if "|" in text:
        text, bar_name = text.rsplit("|", 1)
        if not bar_name:
            raise _fail(raw, "the name after '|' is empty")
        if "|" in text:
            raise _fail(raw, "it has more than one '|'")
    parts = text.split(",")
    if len(parts) > 3:
        raise _fail(raw, "it has more than three ','-separated parts (src,version,name)")
    src = parts[0]
    version = _check_version(raw, parts[1]) if len(parts) > 1 else None
    comma_name = parts[2] if len(parts) > 2 else None
    if comma_name is not None and not comma_name:
        raise _fail(raw, "the name after the second ',' is empty")
    if im_grammar and comma_name is not None:
        raise _fail(raw, "IM ignores a third ',' part, so the role would not be installed as "
                         f"{comma_name!r}; drop it (or use a git+https:// or https:// source with '|name')")
    if im_grammar and bar_name and version is not None:
        raise _fail(raw, f"IM drops '|{bar_name}' when ',{version}' is given, so the role would be installed "
                         "under its repository's name; give either the version or the name")
    if bar_name and comma_name and bar_name != comma_name:
        raise _fail(raw, f"it names the role twice ({comma_name!r} and {bar_name!r})")
    given = bar_name or comma_name
    if given is not None and not _INSTALL_NAME.match(given):
        raise _fail(raw, f"{given!r} is not a role name (letters, digits, '_', '-', '.')")

    if "://" in src and github_is_git(src):
        if not src.endswith(_ARCHIVE_SUFFIXES):
            src = "git+" + src
        elif im_grammar:
            raise _fail(raw, "ansible-galaxy clones a github.com URL that does not end in '.tar.gz' with git; "
                             "link the .tar.gz archive, or the repository itself")
    if src.startswith("git+"):
        _check_url(raw, src, git=True)
        return RecipeSpec(raw, ROLE, GIT, _url_role_name(raw, src, given), version, src)
    if "://" in src:
        if re.match(r"^[a-z]+\+", src):
            raise _fail(raw, f"the source control system {src.split('+', 1)[0]!r} is not supported; use git+https://")
        _check_url(raw, src, git=False)
        return RecipeSpec(raw, ROLE, URL, _url_role_name(raw, src, given), version, src)
    if bar_name is not None:
        raise _fail(raw, "'|name' may only follow a git+https:// or https:// source")
    if not _ROLE_NAME.match(src):
        if "." not in src:
            why = f"{src!r} has no namespace; Galaxy roles are named namespace.role"
        else:
            why = f"{src!r} is not a Galaxy role name (namespace.role: letters, digits, '_', '-')"
        raise _fail(raw, why)
    install_name = comma_name if comma_name and comma_name != src else None
    return RecipeSpec(raw, ROLE, GALAXY, src, version, None, install_name)


def _collection_name_problem(name: str) -> str | None:
    """Why ``name`` is not a Galaxy collection name, or None."""
    match = _COLLECTION_NAME.match(name)
    if match and not any(keyword.iskeyword(part) for part in match.groups()):
        return None
    if match:
        return f"{name!r} is not a collection name: ansible-galaxy refuses a Python keyword as a part"
    if name != name.lower() and _COLLECTION_NAME.match(name.lower()):
        return (f"{name!r} is not a collection name: Galaxy collection names are lower case "
                f"(did you mean {name.lower()!r}?)")
    return (f"{name!r} is not a collection name (namespace.name: lower-case letters, digits and '_', "
            "each part starting with a letter)")


def parse_collection_spec(text: Any, im_grammar: bool = True) -> RecipeSpec:
    """Parse a collection spec: ``ns.name``, ``ns.name,version-or-range``,
    ``git+https://...[,ref]`` or an archive URL. With ``im_grammar`` a range
    has one clause (IM keeps only what follows the first ',', so
    ``ns.name,>=1.0,<2.0`` would become ``>=1.0``) and an archive URL takes no
    ``|name`` or ``,version`` (IM hands ``ansible-galaxy`` the URL as written)."""
    raw = text
    text = _check_text(text, COLLECTION)
    if text.startswith("git+"):
        if "|" in text:
            raise _fail(raw, "a collection is installed under the name its galaxy.yml gives: drop the '|name'",
                        COLLECTION)
        src, comma, version = text.partition(",")
        _check_url(raw, src, git=True, kind=COLLECTION)
        if comma:
            _check_version(raw, version, COLLECTION)
        name = derived_name(src)
        if not name or not _INSTALL_NAME.match(name):
            raise _fail(raw, "no name can be derived from the repository URL", COLLECTION)
        return RecipeSpec(raw, COLLECTION, GIT, name, version if comma else None, src)
    if re.match(r"^[a-z]+\+[a-z]+://", text):
        raise _fail(raw, f"the source control system {text.split('+', 1)[0]!r} is not supported; use git+https://",
                    COLLECTION)
    if "://" in text:
        head, bar, given = text.partition("|")
        src, comma, _ = head.partition(",")
        if im_grammar and bar:
            raise _fail(raw, "IM does not split '|' off a collection spec, so the name would become part of "
                             "the URL; drop the '|name' and link an archive named namespace-name-version.tar.gz",
                        COLLECTION)
        if im_grammar and comma:
            raise _fail(raw, "an archive holds one version, named in its file name; drop the ','-part",
                        COLLECTION)
        _check_url(raw, src, git=False, kind=COLLECTION)
        stem = derived_name(src)
        match = re.match(rf"^({_COLLECTION_PART})-({_COLLECTION_PART})-(.+)$", stem)
        name = given or (f"{match.group(1)}.{match.group(2)}" if match else "")
        version = match.group(3) if match else None
        if _collection_name_problem(name) is not None:
            fix = "" if im_grammar else "; add '|namespace.name'"
            raise _fail(raw, f"the archive is not named namespace-name-version.tar.gz{fix}", COLLECTION)
        return RecipeSpec(raw, COLLECTION, URL, name, version, src)
    if "|" in text:
        raise _fail(raw, "'|name' may only follow an archive URL", COLLECTION)
    name, comma, version = text.partition(",")
    problem = _collection_name_problem(name)
    if problem is not None:
        raise _fail(raw, problem, COLLECTION)
    if comma:
        if not version:
            raise _fail(raw, "the version after ',' is empty", COLLECTION)
        if im_grammar and "," in version:
            raise _fail(raw, f"IM keeps only {version.split(',')[0]!r} of the range {version!r}; "
                             "give a single version or clause", COLLECTION)
        if is_range(version):
            parse_range(version)  # raises on nonsense
        else:
            _check_version(raw, version, COLLECTION)
    return RecipeSpec(raw, COLLECTION, GALAXY, name, version if comma else None)


def parse_spec(text: Any, kind: str = ROLE, im_grammar: bool = True) -> RecipeSpec:
    if kind == ROLE:
        return parse_role_spec(text, im_grammar)
    if kind == COLLECTION:
        return parse_collection_spec(text, im_grammar)
    raise SpecError(f"unknown recipe kind {kind!r}; expected one of {', '.join(KINDS)}")


def parse_application(name: Any, version: Any = None) -> RecipeSpec | None:
    """A RADL ``disk.0.applications`` entry: None when it is not an Ansible
    recipe. A separate ``version`` feature is appended as IM does
    (``name,version``)."""
    if not isinstance(name, str):
        return None
    for prefix, kind in APPLICATION_PREFIXES.items():
        if name.startswith(prefix):
            text = name[len(prefix):]
            if version not in (None, ""):
                text = f"{text},{version}"
            return parse_spec(text, kind)
    return None


def parse_requirement(entry: Any, kind: str = ROLE) -> RecipeSpec:
    """One entry of a ``requirements.yml`` list or of ``meta/main.yml``
    ``dependencies``: a string in the spec grammar, or a mapping with
    ``role``/``src``/``name``, ``version``, ``scm`` (roles) or ``name``,
    ``version``, ``type``, ``source`` (collections)."""
    if isinstance(entry, str):
        return parse_spec(entry, kind, im_grammar=False)
    if not isinstance(entry, dict):
        raise SpecError(f"a requirement must be a string or a mapping, not {type(entry).__name__}",
                        hint=_forms(kind))
    version = entry.get("version")
    if version is not None and not isinstance(version, str):
        version = str(version)  # YAML reads 1.0 as a float
    if kind == COLLECTION:
        name = entry.get("name")
        if entry.get("type") not in (None, "galaxy", "url"):
            raise SpecError(f"collection {name!r}: type {entry.get('type')!r} is not supported (galaxy or url)")
        text = name if not version else f"{name},{version}"
        return parse_collection_spec(text, im_grammar=False)
    src = entry.get("src") or entry.get("role") or entry.get("name")
    if not isinstance(src, str):
        raise SpecError(f"a role requirement needs 'src', 'role' or 'name' as a string: {entry!r}",
                        hint=_forms(ROLE))
    scm = entry.get("scm")
    if scm not in (None, "git"):
        raise SpecError(f"role {src!r}: scm {scm!r} is not supported (git only)")
    if (scm == "git" or (entry.get("src") and github_is_git(src))) and not src.startswith("git+"):
        src = "git+" + src  # ansible-galaxy clones a mapping's GitHub page src
    name = entry.get("name") if (entry.get("src") or entry.get("role")) else None
    if name is not None and (not isinstance(name, str) or not _INSTALL_NAME.match(name)):
        raise SpecError(f"role {src!r}: {name!r} is not a role name (letters, digits, '_', '-', '.')")
    spec = parse_role_spec(src if not version else f"{src},{version}", im_grammar=False)
    if not name or name == spec.name:
        return spec
    if spec.source == GALAXY:
        return replace(spec, install_name=name)
    return replace(spec, name=name)
