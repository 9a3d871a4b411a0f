"""Compile-time TOSCA functions: each one against a small fake scope, then
the whole set on a fixture template through the topology."""

from __future__ import annotations

from typing import Any

import pytest

from primage_tosca.diagnostics import Location
from primage_tosca.functions import (
    MISSING, Context, Evaluator, function_name, is_function, is_symbolic, text)
from primage_tosca import load

from conftest import FIXTURES

COMPILE = FIXTURES / "compile"


class FakeScope:
    """Two nodes: ``app`` hosted on ``vm``; ``vm`` has a host capability."""

    inputs = {"name": "web", "ports": [80, 443], "nested": {"a": [{"b": "deep"}]}, "empty": MISSING}
    properties = {
        "app": {"port": 8080, "conf": {"users": ["ann", "bob"]}, "url": {"get_attribute": ["SELF", "public_address"]}},
        "vm": {"zone": "z1"},
    }
    capabilities = {"vm": {"host": {"num_cpus": 4}}}
    requirements = {("app", "host"): "vm"}
    artifacts = {"app": {"code": {"file": "https://example.org/code.tgz"}}}

    def input_value(self, name: str) -> Any:
        if name not in self.inputs:
            raise KeyError(name)
        return self.inputs[name]

    def has_node(self, name: str) -> bool:
        return name in self.properties

    def property_value(self, node: str, name: str) -> Any:
        return self.properties.get(node, {}).get(name, MISSING)

    def capability_value(self, node: str, capability: str, name: str) -> Any:
        return self.capabilities.get(node, {}).get(capability, {}).get(name, MISSING)

    def has_capability(self, node: str, capability: str) -> bool:
        return capability in self.capabilities.get(node, {})

    def requirement_target(self, node: str, requirement: str):
        return self.requirements.get((node, requirement))

    def has_requirement(self, node: str, requirement: str) -> bool:
        return (node, requirement) in self.requirements

    def hosts(self, node: str):
        return ["vm"] if node == "app" else []

    def declares_property(self, node: str, name: str) -> bool:
        return name in self.properties.get(node, {}) or name == "declared_but_unset"

    def declares_attribute(self, node: str, name: str) -> bool:
        return name == "custom_attribute"

    def attribute_primitive(self, node: str, name: str):
        return {"custom_attribute": "string"}.get(name)

    def hosted_later(self, node: str) -> bool:
        return False

    def artifact(self, node: str, name: str):
        return self.artifacts.get(node, {}).get(name)

    def attribute_value(self, node: str, path: list) -> Any:
        return MISSING

    def locate(self, path: tuple) -> Location:
        return Location("fake.yaml", len(path) + 1, 1)


@pytest.fixture
def run():
    found = []
    evaluator = Evaluator(FakeScope(), found.append)

    def evaluate(value: Any, node: str | None = "app", **context: Any) -> tuple[Any, list]:
        found.clear()
        result = evaluator.evaluate(value, Context(node, path=("here",), **context))
        return result, list(found)

    return evaluate


def test_function_detection():
    assert function_name({"get_input": "x"}) == "get_input"
    assert function_name({"get_input": "x", "other": 1}) is None
    assert function_name({"colour": "blue"}) is None
    assert is_function({"concat": []}) and not is_function("get_input")
    assert is_symbolic({"a": [1, {"b": {"get_attribute": ["SELF", "x"]}}]})
    assert not is_symbolic({"a": [1, {"b": 2}]})
    assert text(True) == "true" and text(None) == "" and text(3) == "3"


def test_get_input_plain_and_indexed(run):
    assert run({"get_input": "name"}) == ("web", [])
    assert run({"get_input": ["ports", 1]}) == (443, [])
    assert run({"get_input": ["nested", "a", 0, "b"]}) == ("deep", [])


# The rule each problem is: PT701 for a value known only later (a compiler's
# note), PT421/PT422 for a call naming what does not exist, nothing for what the
# render phase reports where the call is written (its arity, an undeclared input).
@pytest.mark.parametrize("call, rules, words", [
    ({"get_input": "nope"}, [], ""),
    ({"get_input": "empty"}, ["PT701"], "no value and no default"),
    ({"get_input": ["ports", 5]}, ["PT422"], "out of range"),
    ({"get_input": ["name", "x"]}, ["PT422"], "not a list or map"),
])
def test_get_input_problems_stay_symbolic(run, call, rules, words):
    value, found = run(call)
    assert value == call
    assert [d.rule for d in found] == rules
    assert all(words in d.message and d.path == ("here",) for d in found)


def test_get_property_forms(run):
    assert run({"get_property": ["SELF", "port"]}) == (8080, [])
    assert run({"get_property": ["app", "conf", "users", 1]}) == ("bob", [])
    assert run({"get_property": ["vm", "host", "num_cpus"]}) == (4, [])  # a capability of the node
    assert run({"get_property": ["SELF", "host", "num_cpus"]}) == (4, [])  # through the host requirement
    assert run({"get_property": ["HOST", "zone"]}) == ("z1", [])
    assert run({"get_property": ["HOST", "host", "num_cpus"]}) == (4, [])


def test_get_property_source_and_target(run):
    assert run({"get_property": ["TARGET", "zone"]}, node=None, source="app", target="vm") == ("z1", [])
    assert run({"get_property": ["SOURCE", "port"]}, node=None, source="app", target="vm") == (8080, [])
    assert run({"get_property": ["SELF", "channel"]}, node=None, relationship={"channel": "grpc"}) == ("grpc", [])


@pytest.mark.parametrize("call, rules, words", [
    ({"get_property": ["ghost", "port"]}, ["PT421"], "does not exist"),
    ({"get_property": ["SELF", "colour"]}, ["PT422"], "has no property"),
    ({"get_property": ["SELF", "declared_but_unset"]}, ["PT701"], "has no value"),
    ({"get_property": ["SOURCE", "port"]}, [], ""),
    ({"get_property": ["HOST", "colour"]}, ["PT422"], "no host"),
    ({"get_property": ["SELF"]}, [], ""),
])
def test_get_property_problems(run, call, rules, words):
    value, found = run(call)
    assert value == call and [d.rule for d in found] == rules and all(words in d.message for d in found)


def test_symbolic_property_read_from_another_node_names_it(run):
    # app's url is get_attribute [SELF, ...]; read from elsewhere, SELF must mean app
    value, found = run({"get_property": ["app", "url"]}, node="vm")
    assert value == {"get_attribute": ["app", "public_address"]} and found == []


def test_get_attribute_stays_symbolic_silently(run):
    for call in ({"get_attribute": ["HOST", "private_address"]}, {"get_attribute": ["SELF", "custom_attribute"]},
                 {"get_attribute": ["vm", "public_address", 0]}, {"get_attribute": ["SELF", "port"]},
                 {"get_attribute": ["vm", "host", "whatever"]}, {"get_operation_output": ["SELF", "a", "b", "c"]}):
        assert run(call) == (call, [])


def test_get_attribute_tosca_name_is_known(run):
    assert run({"get_attribute": ["SELF", "tosca_name"]}) == ("app", [])


@pytest.mark.parametrize("call, rule", [
    ({"get_attribute": ["ghost", "public_address"]}, "PT421"),
    ({"get_attribute": ["SELF", "shoe_size"]}, "PT422"),
    ({"get_attribute": ["HOST", "public_address"]}, "PT421"),  # vm is hosted on nothing
    ({"get_attribute": ["SELF", "custom_attribute", 0]}, "PT422"),  # a string has no entries
])
def test_get_attribute_problems(run, call, rule):
    node = "vm" if call["get_attribute"][0] == "HOST" else "app"
    value, found = run(call, node=node)
    assert value == call and [d.rule for d in found] == [rule]


def test_get_attribute_problems_inside_concat_are_warnings(run):
    # tosca-parser (and so IM) checks attributes only in a call of their own
    value, found = run({"concat": ["x", {"get_attribute": ["SELF", "shoe_size"]}]})
    assert [(d.rule, d.severity.value) for d in found] == [("PT422", "warning")]


def test_concat_join_token(run):
    assert run({"concat": ["http://", {"get_input": "name"}, ":", {"get_property": ["SELF", "port"]}]}) == (
        "http://web:8080", [])
    assert run({"join": [["a", {"get_input": "name"}, 3], "-"]}) == ("a-web-3", [])
    assert run({"join": [["a", "b"]]}) == ("ab", [])
    assert run({"token": ["one.two.three", ".", 2]}) == ("three", [])
    assert run({"token": [{"concat": ["x", "/", "y"]}, "/", 0]}) == ("x", [])


def test_concat_with_run_time_part_is_partially_evaluated(run):
    value, found = run({"concat": ["http://", {"get_attribute": ["HOST", "public_address"]}, ":",
                                   {"get_input": "name"}]})
    assert value == {"concat": ["http://", {"get_attribute": ["HOST", "public_address"]}, ":", "web"]}
    assert found == []


@pytest.mark.parametrize("call, rules", [
    ({"token": ["a.b", ".", 9]}, ["PT701"]), ({"token": ["a.b", ".", "x"]}, ["PT701"]), ({"token": ["a.b", ""]}, []),
    ({"join": ["not a list", "-"]}, []), ({"concat": "nope"}, []),
])
def test_string_function_problems(run, call, rules):
    value, found = run(call)
    assert value == call and [d.rule for d in found] == rules


def test_get_artifact(run):
    assert run({"get_artifact": ["SELF", "code"]}) == ("https://example.org/code.tgz", [])
    assert run({"get_artifact": ["SELF", "code", "/opt/code.tgz"]}) == ("/opt/code.tgz", [])
    value, found = run({"get_artifact": ["SELF", "missing"]})
    assert [d.rule for d in found] == ["PT422"] and "no artifact" in found[0].message


def test_values_are_walked(run):
    value, found = run({"a": [{"get_input": "name"}, {"b": {"get_property": ["SELF", "port"]}}]})
    assert value == {"a": ["web", {"b": 8080}]} and found == []


# -- through the topology ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def functions_topology():
    return load(COMPILE / "functions.yaml", use_config=False)


def test_fixture_values(functions_topology):
    app = functions_topology.node("app")["properties"]
    assert app["admin"] == "admin@example.org"
    settings = app["settings"]
    assert settings["cpus"] == 4 and settings["host_cpus"] == 4
    assert settings["distro"] == "ubuntu" and settings["first"] == "b" and settings["env"] == "test"
    assert settings["archive"] == "https://example.org/bundle.tgz"
    assert settings["address"] == {"get_attribute": ["HOST", "public_address"]}
    assert settings["name"] == "app"
    assert functions_topology.node("server")["properties"]["instance_name"] == "node-beta"
    assert functions_topology.node("server")["capabilities"]["host"]["properties"]["num_cpus"] == 4


def test_fixture_outputs_keep_run_time_parts(functions_topology):
    outputs = functions_topology.outputs
    assert outputs["admin"]["value"] == "admin@example.org"
    assert outputs["url"]["value"] == {
        "concat": ["http://", {"get_attribute": ["server", "public_address", 0]}, ":", 8080]}


def test_fixture_unresolvable_functions_are_located(functions_topology):
    # A call naming what does not exist is an error where it is written; a
    # value known only later is a compiler's note (PT701), left symbolic.
    found = [(d.line, d.rule) for d in functions_topology.diagnostics + functions_topology.notes
             if d.rule in ("PT400", "PT421", "PT422", "PT701") and d.line < 70]
    assert sorted(found) == [(62, "PT400"), (64, "PT421"), (65, "PT422"), (66, "PT422"), (67, "PT701"),
                             (68, "PT422"), (69, "PT701")]
    by_line = {d.line: d.message for d in functions_topology.diagnostics + functions_topology.notes}
    assert "input 'missing', which is not declared" in by_line[62]
    assert "'nowhere' does not exist" in by_line[64]
    assert "index 7 is out of range" in by_line[66]
    assert all(d.column > 1 and d.file.endswith("functions.yaml") for d in functions_topology.notes)
    broken = functions_topology.node("broken")["properties"]
    assert broken["admin"] == {"get_input": "missing"}


def test_supplied_inputs_win_over_defaults():
    topology = load(COMPILE / "functions.yaml", inputs={"domain": "primage.eu", "needed": "yes"}, use_config=False)
    assert topology.node("app")["properties"]["admin"] == "admin@primage.eu"
    assert topology.node("broken")["properties"]["settings"]["required"] == "yes"
    assert topology.inputs["domain"] == "primage.eu"


def test_get_artifact_of_the_host_and_self_referencing_inputs():
    scope = FakeScope()
    scope.artifacts = {"vm": {"image": {"file": "img.qcow2"}}}
    scope.inputs = {**FakeScope.inputs, "loop": {"get_input": "loop"}}
    found = []
    evaluator = Evaluator(scope, found.append)
    assert evaluator.evaluate({"get_artifact": ["HOST", "image"]}, Context("app")) == "img.qcow2"
    assert evaluator.evaluate({"get_input": "loop"}, Context("app", path=("x",))) == {"get_input": "loop"}
    assert found and all(d.rule == "PT701" for d in found)
