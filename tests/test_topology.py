"""The topology graph: vertices, edges, relationship names, hosting,
deploy order, cycles and contextualization depth."""

from __future__ import annotations

import networkx as nx
import pytest

from primage_tosca import load
from primage_tosca.topology import Topology
from primage_tosca.graphs import components_in_order, cycle_through, strongly_connected

from conftest import CORPUS, FIXTURES, IMPORT_MAP, INDIGO_EXAMPLES, needs_corpus

COMPILE = FIXTURES / "compile"


def topo(name: str, **kwargs) -> Topology:
    return load(COMPILE / name, use_config=False, **kwargs)


@pytest.fixture(scope="module")
def relationships() -> Topology:
    return topo("relationships.yaml")


def edge(topology: Topology, source: str, index: int) -> dict:
    return next(data for target, data in topology.edges_from(source) if data["index"] == index)


# -- vertices ----------------------------------------------------------------------------------

def test_vertex_per_node_template_in_template_order(relationships):
    assert isinstance(relationships.graph, nx.MultiDiGraph)
    assert relationships.nodes == ["vm", "net", "port", "dbms", "db", "app", "filtered"]
    assert set(relationships.graph.nodes) == set(relationships.nodes)


def test_vertex_attributes():
    topology = topo("compute.yaml")
    server = topology.node("server")
    assert server["type"] == "example.nodes.Compute"
    assert server["types"] == ["example.nodes.Compute", "tosca.nodes.Compute", "tosca.nodes.Root"]
    assert server["properties"]["instance_name"] == "web-1"
    host = server["capabilities"]["host"]
    assert host["type"] == "example.capabilities.Container"
    assert host["properties"]["num_cpus"] == 2 and host["properties"]["mem_size"] == "4 GB"
    assert server["capabilities"]["scalable"]["properties"]["count"] == 1  # a type default
    assert server["path"] == ("topology_template", "node_templates", "server")
    assert topology.is_a("server", "tosca.nodes.Compute") and not topology.is_a("server", "tosca.nodes.Database")


def test_vertex_artifacts_and_interfaces():
    topology = topo("operations.yaml", import_map=COMPILE / "import-map.json")
    web = topology.node("web")
    assert web["artifacts"]["site"]["file"] == "https://downloads.example.org/site.tar.gz"
    standard = web["interfaces"]["Standard"]
    assert list(standard) == ["create", "configure", "start", "stop"]
    assert standard["create"]["implementation"] == "playbooks/install.yml"
    assert standard["create"]["inputs"]["packages"] == ["nginx", "git"]
    assert standard["configure"]["inputs"]["me"] == {"get_attribute": ["HOST", "private_address"]}
    db = topology.node("db")
    assert db["interfaces"]["Standard"]["create"]["inputs"]["db_name"] == "primage"


# -- edges --------------------------------------------------------------------------------------

@pytest.mark.parametrize("source, index, relationship, kind", [
    ("dbms", 0, "tosca.relationships.HostedOn", "HostedOn"),  # short name
    ("db", 0, "tosca.relationships.HostedOn", "HostedOn"),  # tosca: prefix
    ("app", 0, "tosca.relationships.HostedOn", "HostedOn"),  # from the type's requirement definition
    ("app", 1, "example.relationships.Talks", "ConnectsTo"),  # custom, derived
    ("app", 2, "tosca.relationships.ConnectsTo", "ConnectsTo"),  # a relationship template
    ("app", 3, "tosca.relationships.DependsOn", "DependsOn"),  # full name
    ("port", 0, "tosca.relationships.network.LinksTo", "LinksTo"),
    ("port", 1, "tosca.relationships.network.BindsTo", "BindsTo"),
])
def test_relationship_types_are_normalized(relationships, source, index, relationship, kind):
    data = edge(relationships, source, index)
    assert data["relationship"] == relationship and data["kind"] == kind


def test_edge_attributes(relationships):
    talks = edge(relationships, "app", 1)
    assert talks["requirement"] == "dependency" and talks["capability"] == "database_endpoint"
    assert talks["properties"] == {"channel": "grpc"}  # the type's default
    wired = edge(relationships, "app", 2)
    assert wired["template"] == "wired" and wired["properties"] == {"credential": {"user": "joe"}}
    assert edge(relationships, "dbms", 0)["capability"] == "host"  # found by capability type
    assert edge(relationships, "app", 3)["capability"] == "feature"
    # two requirements between the same nodes are two edges
    assert relationships.graph.number_of_edges("app", "vm") == 2


def test_requirements_without_a_node_template_are_reported(relationships):
    found = [(d.rule, d.line) for d in relationships.notes]  # a compiler's notes: validate says nothing
    assert ("PT700", 60) in found and ("PT700", 65) in found
    assert relationships.edges_from("filtered") == []


def test_missing_target_is_pt320(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("tosca_definitions_version: tosca_simple_yaml_1_0\ntopology_template:\n  node_templates:\n"
                    "    a:\n      type: tosca.nodes.SoftwareComponent\n      requirements:\n        - host: ghost\n")
    topology = load(path, use_config=False)
    assert [(d.rule, d.line) for d in topology.diagnostics] == [("PT320", 7)]
    assert topology.graph.number_of_edges() == 0


def test_a_requirement_a_derived_type_writes_again_keeps_what_it_leaves_out(tmp_path):
    """Container.Application.Docker writes `host` again with a capability only:
    the relationship stays the HostedOn of Container.Application."""
    path = tmp_path / "t.yaml"
    path.write_text("tosca_definitions_version: tosca_simple_yaml_1_0\ntopology_template:\n  node_templates:\n"
                    "    app:\n      type: tosca.nodes.Container.Application.Docker\n      requirements:\n"
                    "        - host: runtime\n"
                    "    runtime:\n      type: tosca.nodes.Container.Runtime\n")
    topology = load(path, use_config=False)
    (requirement,) = topology.requirements["app"]
    assert (requirement.relationship, requirement.kind) == ("tosca.relationships.HostedOn", "HostedOn")
    assert topology.hosting_chain("app") == ["runtime"]


# -- hosting, order, depth --------------------------------------------------------------------

def test_hosting(relationships):
    assert relationships.hosting_chain("db") == ["dbms", "vm"]
    assert relationships.compute_of("db") == "vm" and relationships.compute_of("vm") == "vm"
    assert relationships.compute_of("port") == "vm"  # BindsTo, as IM reads it
    assert relationships.compute_of("net") is None and relationships.compute_of("filtered") is None
    assert relationships.hosted_on("vm") == ["vm", "port", "dbms", "db", "app"]


def test_deploy_order_puts_targets_first(relationships):
    order = relationships.deploy_order()
    assert order == ["vm", "net", "port", "dbms", "db", "app", "filtered"]
    position = {name: i for i, name in enumerate(order)}
    for source, target in relationships.graph.edges():
        assert position[target] < position[source]


def test_levels_follow_hosting_dependencies_and_connections(relationships):
    assert relationships.levels == {"vm": 1, "net": 1, "port": 2, "dbms": 2, "db": 3, "app": 4, "filtered": 1}


def test_cycle_is_a_diagnostic_with_its_members():
    topology = topo("cycle.yaml")
    assert topology.cycles == [["a", "b", "c"]]
    cycle = [d for d in topology.diagnostics if d.rule == "PT321"]
    assert len(cycle) == 1 and "a -> b -> c -> a" in cycle[0].message
    assert cycle[0].line == 13  # where a names b, as the graph check reports it
    assert topology.deploy_order() == ["vm", "a", "b", "c"]  # still total, in template order inside the cycle
    assert topology.levels["a"] == topology.levels["b"] == 2


def test_order_helpers_directly():
    graph = {"a": ["b"], "b": ["a"], "c": ["d"], "d": ["d"]}
    index = {"a": 0, "b": 1, "c": 2, "d": 3}.__getitem__
    ordered = components_in_order(graph, index)
    assert ordered == [["a", "b"], ["d"], ["c"]]
    assert cycle_through(graph, {"a", "b"}, "a") == ["a", "b"]
    assert cycle_through(graph, {"d"}, "d") == ["d"]


def test_long_chains_need_no_recursion(tmp_path):
    lines = ["tosca_definitions_version: tosca_simple_yaml_1_0", "topology_template:", "  node_templates:",
             "    vm:", "      type: tosca.nodes.Compute"]
    for i in range(3000):
        lines += [f"    s{i}:", "      type: tosca.nodes.SoftwareComponent", "      requirements:",
                  "        - host: vm"]
        if i:
            lines.append(f"        - dependency: s{i - 1}")
    path = tmp_path / "chain.yaml"
    path.write_text("\n".join(lines) + "\n")
    topology = load(path, use_config=False)
    assert topology.levels["s2999"] == 3001
    assert topology.deploy_order()[:3] == ["vm", "s0", "s1"]


# -- policies, groups, several templates --------------------------------------------------------

def test_policies_expand_groups():
    topology = topo("scaling_placement.yaml")
    policies = {p.name: p for p in topology.policies}
    assert policies["on_site_b"].targets == ["wn", "batch"]
    assert policies["scale_batch"].properties["default_instances"] == 2
    assert "tosca.policies.Placement" in policies["on_site_a"].types
    assert topology.groups == {"workers_group": ["wn", "batch"]}


def test_load_a_list_shares_options():
    found = load([COMPILE / "cycle.yaml", COMPILE / "compute.yaml"], use_config=False)
    assert [type(t) for t in found] == [Topology, Topology]
    assert found[0].template.options is found[1].template.options


def test_inputs_from_a_file(tmp_path):
    values = tmp_path / "inputs.yaml"
    values.write_text("domain: inputs.example\n")
    topology = load(COMPILE / "functions.yaml", inputs=values, use_config=False)
    assert topology.node("app")["properties"]["admin"] == "admin@inputs.example"


@needs_corpus()
def test_indigo_example_through_the_import_map():
    topology = load(INDIGO_EXAMPLES / "web_mysql_tosca.yaml", import_map=IMPORT_MAP, use_config=False)
    assert topology.compute_of("test_db") == "db_server"
    assert topology.levels["test_db"] == 3
    assert topology.node("web_server")["types"][:2] == ["tosca.nodes.indigo.Compute", "tosca.nodes.Compute"]
    attach = edge(topology, "db_server", 0)
    assert attach["kind"] == "AttachesTo" and attach["properties"] == {"location": "/mnt/disk", "device": "hdb"}
    assert CORPUS.is_dir()


# -- gc_paused --------------------------------------------------------------------------------


class Cyclic:
    def __init__(self):
        self.me = self


def test_gc_paused_files_what_it_built_as_old_and_still_collects_its_cycles():
    import gc
    import weakref

    from primage_tosca.topology import gc_paused

    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        kept = [[i] for i in range(1000)]
        garbage = weakref.ref(Cyclic())  # unreachable at once, but a cycle: only the collector frees it
    assert gc.isenabled()
    assert any(item is kept[0] for item in gc.get_objects(generation=2))  # filed as old, unscanned
    assert garbage() is not None
    gc.collect()
    assert garbage() is None


def test_gc_paused_leaves_a_host_programs_frozen_objects_frozen():
    import gc

    from primage_tosca.topology import gc_paused

    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with gc_paused():
            [[i] for i in range(100)]
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()


# -- the order of an acyclic graph, without components ----------------------------------------

from hypothesis import given, settings, strategies as st  # noqa: E402



@st.composite
def requirement_graphs(draw):
    size = draw(st.integers(1, 12))
    names = [f"n{i}" for i in range(size)]
    edges = draw(st.lists(st.tuples(st.sampled_from(names), st.sampled_from(names)), max_size=30))
    if draw(st.booleans()):  # half the graphs acyclic: edges only to earlier or later nodes at random
        shuffled = draw(st.permutations(names))
        rank = {name: i for i, name in enumerate(shuffled)}
        edges = [(a, b) for a, b in edges if rank[a] > rank[b]]
    return names, edges


def networkx_components(names, edges, index):
    """The same order, worked out with networkx: the oracle."""
    graph = nx.DiGraph()
    graph.add_nodes_from(names)
    graph.add_edges_from(edges)
    found = [sorted(c, key=index) for c in nx.strongly_connected_components(graph)]
    member_of = {name: i for i, members in enumerate(found) for name in members}
    condensed = nx.DiGraph()
    condensed.add_nodes_from(range(len(found)))
    condensed.add_edges_from((member_of[b], member_of[a]) for a, b in edges if member_of[a] != member_of[b])
    order = nx.lexicographical_topological_sort(condensed, key=lambda c: index(found[c][0]))
    return [found[c] for c in order]


@settings(max_examples=300, deadline=None)
@given(requirement_graphs())
def test_components_agree_with_networkx(graph_data):
    names, edges = graph_data
    graph = {name: [b for a, b in edges if a == name] for name in names}
    index = {name: i for i, name in enumerate(names)}.__getitem__
    assert components_in_order(graph, index) == networkx_components(names, edges, index)
    reference = nx.DiGraph()
    reference.add_nodes_from(names)
    reference.add_edges_from(edges)
    assert sorted(map(sorted, strongly_connected(graph))) == sorted(
        sorted(c) for c in nx.strongly_connected_components(reference))
