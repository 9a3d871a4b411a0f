"""The shape of the code: phases in one direction, no import circles, the
command line over the public API only, tosca-parser out of the default path.

The import graph is read from the source (every import statement, those
inside functions too), so a lazy import cannot hide a circle."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

PACKAGE = ROOT / "primage_tosca"

# The phases and layers, earliest first: a module may import modules of its
# own layer or of earlier ones, never of a later one.
LAYERS = [
    {"", "records", "diagnostics", "catalog", "versions", "formats", "config", "graphs", "recipe_specs", "rulesettings",
     "profiles", "processes", "k8s_labels"},
    {"source"},  # read: YAML with positions, limits, CSARs, input values
    {"imports", "options"},  # imports, namespaces, fragments; loading options
    {"typesystem"},  # types: hierarchies, inheritance, refinement, values
    {"render", "functions"},  # templates rendered; the function evaluator
    {"topology"},  # requirements resolved, functions evaluated, orders
    {"checks"},  # rules over the whole topology
    {"pipeline", "validation", "report"},  # the phases run in order; findings printed
    {"lsp"},  # the language server: the phases on the editor's text
    {"galaxy"},  # recipes (the RADL emitter pins them)
    {"emit"},  # RADL, EC3, Kubernetes, graphs
    {"im", "kube", "onedata"},  # clients
    {"lifecycle"},  # deploy, inspect, reconfigure, undeploy and the store
    {"api"},  # the public API
    {"cli_common", "cli", "cli_compile", "cli_lifecycle", "cli_recipes", "cli_lsp", "__main__"},
]
RANK = {name: index for index, names in enumerate(LAYERS) for name in names}
CLI_MODULES = {"cli", "cli_compile", "cli_lifecycle", "cli_recipes", "cli_lsp"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in PACKAGE.rglob("*.py")}


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Every module of the package ``name`` imports, anywhere in the file, and
    the packages Python runs first to reach them."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in _run_time_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        elif isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        for target in targets:
            if target in known:
                found.add(target)
                break
    for target in list(found):  # importing a.b.c runs a and a.b first, unless they are being run already
        parts = target.split(".")
        found.update(parent for parent in (".".join(parts[:i]) for i in range(1, len(parts)))
                     if parent in known and not (name + ".").startswith(parent + "."))
    found.discard(name)
    return found


def _run_time_nodes(tree: ast.AST):
    """Every node but those under ``if TYPE_CHECKING:``, which never run."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and isinstance(child.test, ast.Name) and child.test.id == "TYPE_CHECKING":
                stack.extend(child.orelse)
                continue
            stack.append(child)


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports_of(name, path, known) for name, path in known.items()}


def layer(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_every_module_belongs_to_a_layer():
    assert sorted({layer(name) for name in modules()} - set(RANK)) == []


def test_no_module_imports_a_later_phase():
    found = []
    for name, targets in graph().items():
        for target in targets:
            # a package's __init__ is run to reach its modules: only the module's own layer counts
            if target == "primage_tosca":
                continue
            if RANK[layer(target)] > RANK[layer(name)]:
                found.append(f"{name} -> {target}")
    assert sorted(found) == []


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module."""
    from primage_tosca.graphs import strongly_connected

    return [sorted(component) for component in strongly_connected(edges) if len(component) > 1]


def test_no_import_circles():
    edges = {name: {t for t in targets if t != "primage_tosca"} for name, targets in graph().items()}
    assert cycles(edges) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c"]]


def test_the_command_line_imports_only_its_helpers_and_the_api():
    """Each command module imports the shared helpers and the public API;
    ``cli`` (the parser) also wires the command modules in."""
    allowed = {"primage_tosca", "primage_tosca.api", "primage_tosca.cli_common"}
    commands = {f"primage_tosca.{m}" for m in CLI_MODULES}
    found = {}
    edges = graph()
    for name in commands & set(edges):
        extra = sorted(edges[name] - allowed - (commands if name == "primage_tosca.cli" else set()))
        if extra:
            found[name] = extra
    assert found == {}
    assert sorted(edges["primage_tosca.cli_common"] - allowed) == []


def run_fresh(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


LOADED = "import sys; print(sorted(m for m in ('toscaparser', 'networkx', 'kubernetes', 'requests') if m in sys.modules))"


def test_validate_and_compile_load_no_tosca_parser():
    out = run_fresh(
        "import primage_tosca, primage_tosca.lifecycle\n"
        "r = primage_tosca.validate('tests/fixtures/rules/PT310/good.yaml')\n"
        "assert not r.errors, r.errors\n"
        "primage_tosca.compile('tests/fixtures/rules/PT310/good.yaml')\n" + LOADED)
    assert "toscaparser" not in out


def test_validating_loads_neither_networkx_nor_http_code():
    out = run_fresh("import primage_tosca\nprimage_tosca.validate('tests/fixtures/rules/PT310/good.yaml')\n" + LOADED)
    assert out.strip() == "[]"


@pytest.mark.parametrize("argv", [["validate", "tests/fixtures/rules/PT310/good.yaml"],
                                  ["compile", "tests/fixtures/rules/PT310/good.yaml", "--to", "radl"]])
def test_the_command_line_loads_no_tosca_parser(argv):
    code = ("import runpy, sys\nsys.argv = ['primage-tosca'] + " + repr(argv) + "\n"
            "try:\n    runpy.run_module('primage_tosca', run_name='__main__')\nexcept SystemExit as exc:\n"
            "    assert exc.code == 0, exc.code\n" + LOADED.replace("print(", "print('LOADED', "))
    out = run_fresh(code)
    assert "toscaparser" not in out.split("LOADED", 1)[1]
