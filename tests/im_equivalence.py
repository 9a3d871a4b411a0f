"""Compare our TOSCA-to-RADL compiler with IM's own converter, template by template:
the INDIGO examples, and this project's fixtures for what they do not show (IM_FIXTURES).

IM (the Infrastructure Manager, GPL-3.0) is a separate program here: it lives
in its own venv (``bash tools/im_venv.sh`` makes ``.venv-im``) and
``tools/im_convert.py`` runs its converter in a subprocess. Nothing of IM is
imported into this process; the RADL texts both converters write are parsed
with the ``radl`` library and compared.

What is compared, per template that IM accepts:

- the names of the systems, networks and configures;
- the deploy count (and cloud id) of each system;
- per system, its features (``cpu.count >= 2``...) and its applications
  (``disk.0.applications contains (name = ...)``);
- per network, its features; the contextualize items (system, configure,
  step) and whether there is a contextualize block at all; description features.

Normalised first, as they are no difference: the order of everything, string
quoting (both texts are parsed), sizes in other units (``1G`` is
``1000000000B``), the order and spelling of ``outports`` entries
(``80/tcp`` is ``80/tcp-80/tcp``), the local paths IM saw in place of
``https://raw.githubusercontent.com/`` URLs (mapped back), and the suffix IM
gives the system of a container application (the start of the infrastructure
id, fixed by tools/im_convert.py and removed).

Both converters see the same inputs: the defaults, plus a placeholder value
for each input without a default (given to ours as ``inputs=`` and written as
the default into IM's copy) and a fixed value for IM's ``random(N)`` defaults.

The match rate counts items: each system, network, configure, deploy line,
system or network feature, application and contextualize item, over the
union of both sides; a system or network that one side lacks counts once, not
once per feature. A template ours rejects counts all of IM's items as
mismatches. Templates IM rejects are left out and listed with IM's reason.

Run ``python tests/im_equivalence.py [--only NAME]`` for a report;
``tests/test_im_equivalence.py`` is the CI test; ``docs/im-differences.md``
explains each remaining difference.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

import yaml

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
EXAMPLES = CORPUS / "indigo-tosca-types" / "examples"
TYPE_LIBRARIES = CORPUS / "type-libraries"
IMPORT_MAP = TYPE_LIBRARIES / "import-map.json"
DOC = ROOT / "docs" / "im-differences.md"
FIXTURES = ROOT / "tests" / "fixtures" / "compile"
# This project's templates for what IM maps and no INDIGO example shows
# (functions on OSCAR and standalone, pods' environment and ports, empty
# volumes); they import the grycap type library by URL, as its users do.
IM_FIXTURES = ("block_storage_zero.yaml", "container_env.yaml", "container_ports.yaml", "faas_oscar.yaml",
               "faas_standalone.yaml")
IM_CONVERT = ROOT / "tools" / "im_convert.py"
IM_VENV_SCRIPT = "bash tools/im_venv.sh"
IM_PYTHON_ENV = "PRIMAGE_TOSCA_IM_PYTHON"
DEFAULT_IM_PYTHON = ROOT / ".venv-im" / "bin" / "python"

# IM's converter fetches this prefix itself; it gets the local copy instead.
URL_PREFIX = "https://raw.githubusercontent.com/"
# Relative ``implementation`` names: IM looks in its artifacts folder, then in
# this repository (Tosca.ARTIFACTS_REMOTE_REPO).
IM_ARTIFACTS_REPO = "grycap/tosca/main/artifacts"

# The suffix IM gives a container application's system (see INFRASTRUCTURE_ID
# in tools/im_convert.py); our systems are named after the node alone.
IM_POD_SUFFIX = "-imconvrt"
PER_TEMPLATE_TIMEOUT = 60.0
CATEGORIES = ("IM bug", "deliberate improvement", "not done yet")
KINDS = ("ours-rejects", "system", "network", "configure", "deploy", "feature", "application",
         "network-feature", "contextualize", "description")

# Compiler: (path, inputs, import_map) -> RADL text; raises when it rejects.
Compiler = Callable[[Path, dict, Path], str]


# --------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class Difference:
    """One thing the two RADLs disagree on. ``ours``/``im`` are display
    strings; ``absent`` when one side lacks the item."""

    template: str
    kind: str
    system: str
    feature: str
    ours: str
    im: str

    def line(self) -> str:
        where = "/".join(part for part in (self.system, self.feature) if part)
        return f"{self.template}: {self.kind} {where}: ours {self.ours!s} | IM {self.im!s}"


@dataclass
class TemplateResult:
    name: str
    path: Path
    inputs: dict = field(default_factory=dict)
    im_radl: str | None = None
    im_error: str | None = None
    im_seconds: float | None = None
    ours_radl: str | None = None
    ours_error: str | None = None
    ours_seconds: float | None = None
    items: int = 0
    matched: int = 0
    differences: list[Difference] = field(default_factory=list)

    @property
    def compared(self) -> bool:
        return self.im_error is None and self.im_radl is not None


@dataclass
class Report:
    results: list[TemplateResult]
    im_version: str = ""
    repeat: int = 1  # timings: the shortest of this many runs per template

    @property
    def compared(self) -> list[TemplateResult]:
        return [r for r in self.results if r.compared]

    @property
    def im_rejects(self) -> list[TemplateResult]:
        return [r for r in self.results if not r.compared]

    @property
    def differences(self) -> list[Difference]:
        return [d for r in self.compared for d in r.differences]

    @property
    def items(self) -> int:
        return sum(r.items for r in self.compared)

    @property
    def matched(self) -> int:
        return sum(r.matched for r in self.compared)

    @property
    def match_rate(self) -> float:
        """Share of compared items (see the module doc) on which both agree."""
        return self.matched / self.items if self.items else 1.0

    @property
    def template_rate(self) -> float:
        """Share of compared templates with no difference at all."""
        compared = self.compared
        return sum(not r.differences for r in compared) / len(compared) if compared else 1.0

    def timings(self, which: str = "im") -> dict:
        """Median and max seconds per template of IM's converter (``im``, the
        templates it accepts) or ours (``ours``, the same templates)."""
        values = [getattr(r, f"{which}_seconds") for r in self.compared]
        values = [v for v in values if v is not None]
        if not values:
            return {"n": 0, "median_ms": None, "max_ms": None}
        return {"n": len(values), "median_ms": 1000 * statistics.median(values),
                "max_ms": 1000 * max(values)}

    def format(self, verbose: bool = True) -> str:
        lines = [f"IM {self.im_version}: {len(self.results)} templates, {len(self.compared)} compared, "
                 f"{len(self.im_rejects)} rejected by IM"]
        for r in self.im_rejects:
            lines.append(f"  IM rejects {r.name}: {im_reason(r.im_error)}")
        lines.append(f"match rate: {100 * self.match_rate:.1f}% of items ({self.matched}/{self.items}); "
                     f"templates with no difference: {100 * self.template_rate:.1f}% "
                     f"({sum(not r.differences for r in self.compared)}/{len(self.compared)})")
        im_t, ours_t = self.timings("im"), self.timings("ours")
        runs = f", shortest of {self.repeat} runs" if self.repeat > 1 else ""
        if im_t["n"]:
            lines.append(f"IM's converter per template: median {im_t['median_ms']:.1f} ms, "
                         f"max {im_t['max_ms']:.1f} ms ({im_t['n']} templates, warm process{runs})")
        if ours_t["n"]:
            lines.append(f"our compiler per template:   median {ours_t['median_ms']:.1f} ms, "
                         f"max {ours_t['max_ms']:.1f} ms ({ours_t['n']} templates, one process{runs})")
        if verbose:
            for r in self.compared:
                if r.differences:
                    lines.append(f"{r.name}: {r.matched}/{r.items} items match, "
                                 f"{len(r.differences)} differences")
                    lines.extend("  " + d.line() for d in r.differences)
        return "\n".join(lines)

    def to_json(self) -> dict:
        return {
            "im_version": self.im_version,
            "match_rate": self.match_rate,
            "template_rate": self.template_rate,
            "items": self.items,
            "matched": self.matched,
            "compared": [r.name for r in self.compared],
            "im_rejects": {r.name: im_reason(r.im_error, 1000) for r in self.im_rejects},
            "timings": {"im": self.timings("im"), "ours": self.timings("ours"), "repeat": self.repeat,
                        "per_template_ms": {r.name: {"im": _ms(r.im_seconds), "ours": _ms(r.ours_seconds)}
                                            for r in self.compared}},
            "differences": [d.__dict__ for d in self.differences],
        }


_IM_BOILERPLATE = re.compile(r"^Exception: Error parsing TOSCA template:\s*"
                             r"(The pre-parsed input failed validation with the following error\(s\):\s*)?")


def im_reason(error: str | None, limit: int = 200) -> str:
    """IM's error on one line, without the wrapper text it puts around
    tosca-parser's messages."""
    return _one_line(_IM_BOILERPLATE.sub("", " ".join((error or "").split())), limit)


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(1000 * seconds, 3)


def _one_line(text: str | None, limit: int = 200) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --------------------------------------------------------------------------
# Finding IM


def im_python() -> Path | None:
    """IM venv's python: $PRIMAGE_TOSCA_IM_PYTHON, else .venv-im/bin/python;
    None when neither exists."""
    configured = os.environ.get(IM_PYTHON_ENV)
    candidate = Path(configured) if configured else DEFAULT_IM_PYTHON
    return candidate if candidate.is_file() and os.access(candidate, os.X_OK) else None


def missing_im_message() -> str:
    return (f"IM's converter is not installed: run `{IM_VENV_SCRIPT}` in {ROOT} "
            f"(or set {IM_PYTHON_ENV} to the python of a venv with im==2.0.0)")


# --------------------------------------------------------------------------
# Inputs: both converters must see the same values


_RANDOM = re.compile(r"^random\((\d+)\)$")


def placeholder_inputs(template: Path) -> dict:
    """Values for the inputs a user would have to give (no default), and a
    fixed value where IM would draw a random one (``random(N)`` defaults)."""
    try:
        data = yaml.safe_load(template.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return {}
    inputs = ((data.get("topology_template") or {}).get("inputs")) or {}
    values = {}
    for name, spec in inputs.items():
        if not isinstance(spec, dict):
            continue
        default = spec.get("default")
        if isinstance(default, str) and _RANDOM.match(default):
            values[name] = ("r" * int(_RANDOM.match(default).group(1)))
        elif "default" not in spec:
            values[name] = _placeholder(name, spec.get("type", "string"), spec.get("entry_schema"))
    return values


def _placeholder(name: str, type_: str, entry_schema=None):
    if type_ == "integer":
        return 1
    if type_ == "float":
        return 1.0
    if type_ == "boolean":
        return False
    if type_ == "list":
        return []
    if type_ == "map":
        return {}
    if type_ == "scalar-unit.size":
        return "1 GB"
    if type_ == "version":
        return "1.0"
    return f"placeholder-{name}"


# --------------------------------------------------------------------------
# IM's side: a local copy with URLs rewritten, a subprocess, RADL text back


class LocalMirror:
    """A temporary copy of the type libraries (and of each template) in which
    every ``https://raw.githubusercontent.com/`` is an absolute local path, so
    that IM's converter reads files instead of fetching."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="im-equivalence-"))
        self.local_prefix = str(self.root / "raw.githubusercontent.com") + "/"
        self.templates = self.root / "templates"
        self.templates.mkdir()
        src = TYPE_LIBRARIES / "raw.githubusercontent.com"
        for path in src.rglob("*"):
            if path.is_file():
                target = Path(self.local_prefix) / path.relative_to(src)
                target.parent.mkdir(parents=True, exist_ok=True)
                if path.suffix in (".yaml", ".yml", ".j2", ".json", ".sh", ".py"):
                    target.write_text(self.rewrite(path.read_text(encoding="utf-8")), encoding="utf-8")
                else:
                    shutil.copyfile(path, target)

    @property
    def artifacts_path(self) -> Path:
        return Path(self.local_prefix) / IM_ARTIFACTS_REPO

    def rewrite(self, text: str) -> str:
        return text.replace(URL_PREFIX, self.local_prefix)

    def restore(self, text: str) -> str:
        return text.replace(self.local_prefix, URL_PREFIX)

    def template_copy(self, template: Path, inputs: dict) -> Path:
        text = self.rewrite(template.read_text(encoding="utf-8"))
        if inputs:
            data = yaml.safe_load(text)
            specs = data.setdefault("topology_template", {}).setdefault("inputs", {})
            for name, value in inputs.items():
                specs.setdefault(name, {})["default"] = value
            text = yaml.safe_dump(data, sort_keys=False)
        target = self.templates / template.name
        target.write_text(text, encoding="utf-8")
        return target

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "LocalMirror":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def run_im(python: Path, files: Sequence[Path], artifacts_path: Path | None = None,
           timeout: float = PER_TEMPLATE_TIMEOUT, repeat: int = 1) -> dict:
    """Run tools/im_convert.py on ``files`` with IM's python; returns its JSON
    (``{"im_version", "results": {file: {"radl"|"error", "seconds"}}}``)."""
    cmd = [str(python), str(IM_CONVERT), "--json", "--warmup", "--timeout", str(timeout),
           "--repeat", str(repeat)]
    if artifacts_path:
        cmd += ["--artifacts-path", str(artifacts_path)]
    cmd += [str(f) for f in files]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=str(ROOT),
                          timeout=timeout * (len(files) * repeat + 1) + 60)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:2])} failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout)


# --------------------------------------------------------------------------
# Our side


def default_compiler(path: Path, inputs: dict, import_map: Path) -> str:
    """Our compiler: primage_tosca.emit.compile to RADL."""
    from primage_tosca.emit import compile as compile_tosca

    return compile_tosca(str(path), target="radl", inputs=inputs or None, import_map=str(import_map))


def ours_available() -> str | None:
    """None when our compiler can be imported, else why not."""
    try:
        from primage_tosca.emit import compile as _  # noqa: F401
    except Exception as exc:  # ImportError, or a half-written module
        return f"primage_tosca.emit.compile is not available yet: {type(exc).__name__}: {exc}"
    return None


# --------------------------------------------------------------------------
# Parsing and normalising RADL


@dataclass
class Canon:
    """What is compared of one RADL, order-free and normalised."""

    systems: dict[str, dict[tuple[str, str], str]]  # system -> (kind, key) -> value
    networks: dict[str, dict[tuple[str, str], str]]
    configures: set[str]
    deploys: dict[str, str]  # system -> "2" or "2 cloud_id" (several lines joined)
    contextualize: dict[tuple[str, str], str] | None  # (system, configure) -> step; None: no block
    description: dict[tuple[str, str], str]


def parse(text: str):
    from radl.radl_parse import parse_radl

    parsed = parse_radl(text)
    parsed.check()
    return parsed


def canonical(text: str) -> Canon:
    parsed = parse(text)
    deploys: dict[str, list[str]] = {}
    for dep in parsed.deploys:
        deploys.setdefault(dep.id, []).append(f"{dep.vm_number}" + (f" {dep.cloud_id}" if dep.cloud_id else ""))
    ctxt = parsed.contextualize
    items = None
    if ctxt is not None and (ctxt.items is not None or ctxt.options is not None):
        items = {(i.system, i.configure): f"step {i.num or 0}" + (f" with {i.ctxt_tool}" if i.ctxt_tool else "")
                 for i in (ctxt.items or {}).values()}
    return Canon(
        systems={s.name: _features(s) for s in parsed.systems},
        networks={n.id: _features(n) for n in parsed.networks},
        configures={c.name for c in parsed.configures},
        deploys={k: " + ".join(sorted(v)) for k, v in deploys.items()},
        contextualize=items,
        description=_features(parsed.description) if parsed.description else {},
    )


def _features(features) -> dict[tuple[str, str], str]:
    """(kind, key) -> value text. Features with the same name (a range:
    ``>= 1 and <= 4``) are one item; each application is an item of its own."""
    plain: dict[str, list[str]] = {}
    apps: dict[tuple[str, str], str] = {}
    for f in features.features:
        if f.operator == "contains" and hasattr(f.value, "features"):
            name = f.value.getValue("name")
            rest = sorted(f"{g.prop} {g.operator} {_value(g)}" for g in f.value.features if g.prop != "name")
            apps[("application", f"{f.prop}: {name}")] = " and ".join(rest) or "present"
        else:
            plain.setdefault(f.prop, []).append(f"{f.operator} {_value(f)}")
    out = {("feature", prop): " and ".join(sorted(values)) for prop, values in plain.items()}
    out.update(apps)
    return out


def _value(f) -> str:
    from radl.radl import UnitToValue

    value = f.value
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        if f.unit:
            number = value * UnitToValue(f.unit)
            number = int(number) if float(number).is_integer() else number
            return f"{number}B"
        return f"{value:g}" if isinstance(value, float) else str(value)
    if isinstance(value, list):
        return "[" + ", ".join(repr(v) for v in value) + "]"
    if isinstance(value, str):
        if f.prop == "outports":
            return repr(normalise_outports(value))
        return repr(value)
    return str(value)


_OUTPORT = re.compile(r"^(?:(?P<cidr>\d+\.\d+\.\d+\.\d+/\d+)-)?"
                      r"(?P<a>\d+)(?::(?P<a2>\d+))?(?:/(?P<ap>tcp|udp|icmp))?"
                      r"(?:-(?P<b>\d+)(?::(?P<b2>\d+))?(?:/(?P<bp>tcp|udp|icmp))?)?$")


def normalise_outports(value: str) -> str:
    """``80/tcp,22`` and ``22/tcp-22/tcp,80/tcp-80/tcp`` are the same ports."""
    entries = []
    for part in value.split(","):
        part = part.strip()
        m = _OUTPORT.match(part)
        if not m:
            entries.append(part)
            continue
        proto = m["ap"] or m["bp"] or "tcp"
        cidr = f"{m['cidr']}-" if m["cidr"] and m["cidr"] != "0.0.0.0/0" else ""
        if m["a2"]:  # a range a:a2
            entries.append(f"{cidr}{m['a']}:{m['a2']}/{proto}")
        else:
            local = m["b"] or m["a"]
            entries.append(f"{cidr}{m['a']}/{proto}-{local}/{proto}")
    return ",".join(sorted(set(entries)))


# --------------------------------------------------------------------------
# Comparing


ABSENT = "absent"
PRESENT = "present"


def compare(template: str, ours: Canon, im: Canon) -> tuple[int, int, list[Difference]]:
    """(items, matched, differences) of one template."""
    counter = _Counter(template)
    for name in sorted(set(ours.systems) | set(im.systems)):
        if counter.presence("system", name, "", name in ours.systems, name in im.systems):
            counter.mapping("feature", name, ours.systems[name], im.systems[name])
    for name in sorted(set(ours.networks) | set(im.networks)):
        if counter.presence("network", "", name, name in ours.networks, name in im.networks):
            counter.mapping("network-feature", name, ours.networks[name], im.networks[name])
    for name in sorted(ours.configures | im.configures):
        counter.presence("configure", "", name, name in ours.configures, name in im.configures)
    for name in sorted(set(ours.deploys) | set(im.deploys)):
        counter.value("deploy", name, "count", ours.deploys.get(name), im.deploys.get(name))
    if ours.contextualize is None or im.contextualize is None:
        counter.value("contextualize", "", "block",
                      None if ours.contextualize is None else "contextualize (...)",
                      None if im.contextualize is None else "contextualize (...)")
    else:
        for key in sorted(set(ours.contextualize) | set(im.contextualize)):
            counter.value("contextualize", key[0], key[1], ours.contextualize.get(key), im.contextualize.get(key))
    counter.mapping("description", "", ours.description, im.description)
    return counter.items, counter.matched, counter.differences


class _Counter:
    def __init__(self, template: str) -> None:
        self.template = template
        self.items = 0
        self.matched = 0
        self.differences: list[Difference] = []

    def _add(self, same: bool, kind: str, system: str, feature: str, ours, im) -> bool:
        self.items += 1
        if same:
            self.matched += 1
        else:
            self.differences.append(Difference(self.template, kind, system, feature,
                                               ABSENT if ours is None else str(ours),
                                               ABSENT if im is None else str(im)))
        return same

    def presence(self, kind, system, feature, in_ours: bool, in_im: bool) -> bool:
        return self._add(in_ours == in_im, kind, system, feature,
                         PRESENT if in_ours else None, PRESENT if in_im else None)

    def value(self, kind, system, feature, ours, im) -> bool:
        return self._add(ours == im, kind, system, feature, ours, im)

    def mapping(self, kind, system, ours: dict, im: dict) -> None:
        for key in sorted(set(ours) | set(im)):
            sub_kind = key[0] if kind == "feature" else kind
            self.value(sub_kind, system, key[1], ours.get(key), im.get(key))


# --------------------------------------------------------------------------
# The whole corpus


def templates(only: Iterable[str] | None = None, folder: Path | None = None) -> list[Path]:
    """The templates of ``folder``; by default the INDIGO examples and then
    this project's fixtures in IM_FIXTURES."""
    if folder is None:
        paths = [*_yaml_files(EXAMPLES), *(FIXTURES / name for name in IM_FIXTURES)]
    else:
        paths = _yaml_files(folder)
    if only:
        patterns = list(only)
        paths = [p for p in paths
                 if any(fnmatch.fnmatch(p.name, pat) or fnmatch.fnmatch(p.stem, pat) for pat in patterns)]
    return paths


def _yaml_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml"))


def compare_corpus(paths: Sequence[Path] | None = None, ours: Compiler | str | None = None,
                   python: Path | None = None, timeout: float = PER_TEMPLATE_TIMEOUT,
                   repeat: int = 1) -> Report:
    """Convert each template with IM's converter and with ``ours`` and compare.

    ``ours``: a callable ``(path, inputs, import_map) -> RADL text`` (raises
    when it rejects); None for our compiler; ``"im"`` for IM's own output as a
    stand-in, which must match 100% (a check of this harness). ``repeat``:
    time each converter that many times per template, keeping the shortest."""
    paths = list(paths if paths is not None else templates())
    python = python or im_python()
    if python is None:
        raise RuntimeError(missing_im_message())
    results = [TemplateResult(p.name, p, placeholder_inputs(p)) for p in paths]
    with LocalMirror() as mirror:
        copies = [mirror.template_copy(r.path, r.inputs) for r in results]
        im_out = run_im(python, copies, mirror.artifacts_path, timeout, repeat)
        for r, copy in zip(results, copies):
            got = im_out["results"][str(copy)]
            r.im_seconds = got.get("seconds")
            if "error" in got:
                r.im_error = mirror.restore(f"{got.get('error_type', 'Error')}: {got['error']}")
            else:
                r.im_radl = mirror.restore(got["radl"]).replace(IM_POD_SUFFIX, "")
    if ours == "im":
        by_path = {r.path: r.im_radl for r in results}
        compiler: Compiler = lambda path, inputs, import_map: by_path[path]  # noqa: E731
    else:
        compiler = ours or default_compiler
    for r in results:
        if not r.compared:
            continue
        try:
            im_canon = canonical(r.im_radl)
        except Exception as exc:  # IM wrote RADL its own parser refuses
            r.im_error = f"IM's RADL does not parse: {type(exc).__name__}: {exc}"
            continue
        for _ in range(max(1, repeat)):
            started = time.perf_counter()
            try:
                r.ours_radl, r.ours_error = compiler(r.path, dict(r.inputs), IMPORT_MAP), None
            except Exception as exc:
                r.ours_radl, r.ours_error = None, f"{type(exc).__name__}: {exc}"
            elapsed = time.perf_counter() - started
            r.ours_seconds = elapsed if r.ours_seconds is None else min(r.ours_seconds, elapsed)
        ours_canon = None
        if r.ours_error is None:
            try:
                ours_canon = canonical(r.ours_radl)
            except Exception as exc:
                r.ours_error = f"our RADL does not parse: {type(exc).__name__}: {exc}"
        if ours_canon is None:
            empty = Canon({}, {}, set(), {}, None, {})
            r.items, _, _ = compare(r.name, empty, im_canon)
            r.matched = 0
            r.differences = [Difference(r.name, "ours-rejects", "", "", _one_line(r.ours_error), "accepts")]
        else:
            r.items, r.matched, r.differences = compare(r.name, ours_canon, im_canon)
    return Report(results, im_out.get("im_version", ""), max(1, repeat))


# --------------------------------------------------------------------------
# docs/im-differences.md: the table of known differences


@dataclass(frozen=True)
class KnownDifference:
    template: str  # fnmatch pattern
    kind: str
    system: str  # fnmatch pattern, may be "" or "*"
    feature: str  # fnmatch pattern
    ours: str
    im: str
    category: str
    reason: str

    def matches(self, d: Difference) -> bool:
        return (self.kind == d.kind and _any_match(d.template, self.template)
                and _any_match(d.feature, self.feature)
                and (self.system in ("", "*") or _any_match(d.system, self.system)))


def _any_match(value: str, patterns: str) -> bool:
    """A cell holds one fnmatch pattern or several separated by ", " (a comma
    and a space: role names such as ``indigo-dc.slurm,master`` contain a bare
    comma)."""
    return any(fnmatch.fnmatchcase(value, p.strip()) for p in (patterns or "").split(", ")) or value == patterns


TABLE_HEADER = ["template", "kind", "system", "feature", "ours", "IM", "category", "reason"]


def known_differences(doc: Path = DOC) -> list[KnownDifference]:
    """Rows of the table whose header is TABLE_HEADER in ``doc``. Cells may
    be wrapped in backticks; ``|`` inside a cell is written ``\\|``."""
    rows: list[KnownDifference] = []
    if not doc.is_file():
        return rows
    in_table = False
    for line in doc.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line.startswith("|"):
            in_table = False
            continue
        cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line.strip("|"))]
        cells = [c[1:-1] if len(c) >= 2 and c[0] == c[-1] == "`" else c for c in cells]
        if [c.lower() for c in cells] == [h.lower() for h in TABLE_HEADER]:
            in_table = True
            continue
        if not in_table or set("".join(cells)) <= set("-: "):
            continue
        if len(cells) != len(TABLE_HEADER):
            raise ValueError(f"{doc}: row has {len(cells)} cells, expected {len(TABLE_HEADER)}: {line}")
        rows.append(KnownDifference(*cells))
    return rows


def unexplained(differences: Iterable[Difference], rows: Sequence[KnownDifference]) -> list[Difference]:
    return [d for d in differences if not any(row.matches(d) for row in rows)]


def stale(differences: Sequence[Difference], rows: Sequence[KnownDifference]) -> list[KnownDifference]:
    """Rows that explain no difference any more (fixed, or mistyped)."""
    return [row for row in rows if not any(row.matches(d) for d in differences)]


# --------------------------------------------------------------------------
# Command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Compare our RADL with IM's converter on the INDIGO examples (and the fixtures in IM_FIXTURES) "
                    "and print the differences.")
    parser.add_argument("--only", action="append", metavar="NAME",
                        help="only templates whose file name or stem matches (glob; repeatable)")
    parser.add_argument("--stand-in", choices=["im"],
                        help="use IM's own output in place of ours (must give 100%%)")
    parser.add_argument("--im-python", type=Path, help=f"IM venv's python (default ${IM_PYTHON_ENV} "
                                                       f"or {DEFAULT_IM_PYTHON.relative_to(ROOT)})")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--repeat", type=int, default=1, metavar="N",
                        help="time each converter N times per template and keep the shortest")
    parser.add_argument("--explain", action="store_true",
                        help=f"also check each difference against the table in {DOC.relative_to(ROOT)}")
    parser.add_argument("--show", metavar="NAME", help="print both RADLs of one template")
    args = parser.parse_args(argv)

    python = args.im_python or im_python()
    if python is None:
        print(missing_im_message(), file=sys.stderr)
        return 2
    if args.stand_in is None and (why := ours_available()):
        print(f"{why}\n(use --stand-in im to check the harness)", file=sys.stderr)
        return 2
    paths = templates([args.show] if args.show else args.only)
    if not paths:
        print("no template matches", file=sys.stderr)
        return 2
    report = compare_corpus(paths, ours=args.stand_in, python=python, repeat=args.repeat)
    if args.show:
        for r in report.results:
            print(f"# ---- IM ({r.name})\n{r.im_radl or r.im_error}\n# ---- ours\n{r.ours_radl or r.ours_error}")
    if args.json:
        print(json.dumps(report.to_json(), indent=1))
    else:
        print(report.format())
    if args.explain:
        rows = known_differences()
        missing = unexplained(report.differences, rows)
        print(f"\n{len(report.differences) - len(missing)} differences explained by {DOC.relative_to(ROOT)}, "
              f"{len(missing)} not:")
        for d in missing:
            print("  " + d.line())
        return 1 if missing else 0
    return 0


if __name__ == "__main__":
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    sys.exit(main())
