"""The keynames each TOSCA construct may use, per version, as data.

A grammar is a table: construct -> keyname -> :class:`Key` (the YAML shape its
value must have, the first version that has it, the last one that still has it,
whether it is required). Checking a mapping against a construct reports
unknown keynames, keynames of another version, missing required ones and
values of the wrong shape; what a keyname *means* is checked by the phases
that read it.

Versions override only what differs: a keyname added in 1.3 carries
``since=V1_3``; one TOSCA 2.0 dropped carries ``until=V1_3``.
"""

from __future__ import annotations

from typing import Any

from ..records import record
from ..versions import V1_0, V2_0, Version

# Shapes: what kind of YAML value a keyname holds.
STR, MAP, LIST, ANY, BOOL, NUM = "string", "map", "list", "any", "boolean", "number"
STR_OR_MAP, STR_OR_LIST, MAP_OR_LIST, STR_OR_NUM = "string|map", "string|list", "map|list", "string|number"
MAP_OR_NULL = "map|null"  # a map that may be left empty: the standard's own example writes `steps:` (6.9.6)

SHAPES = {
    STR: (str,),
    MAP: (dict,),
    LIST: (list,),
    BOOL: (bool,),
    NUM: (int, float),
    STR_OR_MAP: (str, dict),
    STR_OR_LIST: (str, list),
    MAP_OR_LIST: (dict, list),
    STR_OR_NUM: (str, int, float),
    MAP_OR_NULL: (dict, type(None)),
}


@record(frozen=True)
class Key:
    shape: str = ANY
    since: Version = V1_0
    until: Version | None = None
    required: bool = False

    def in_version(self, version: Version) -> bool:
        return self.since <= version and (self.until is None or version <= self.until)


def keys(spec: str) -> dict[str, Key]:
    """A table from a compact spec: ``name:shape[@since][~until][!]`` words;
    ``!`` marks a required keyname."""
    table: dict[str, Key] = {}
    for word in spec.split():
        required = word.endswith("!")
        word = word.rstrip("!")
        until = None
        if "~" in word:
            word, last = word.split("~")
            until = _version(last)
        since = V1_0
        if "@" in word:
            word, first = word.split("@")
            since = _version(first)
        name, _, shape = word.partition(":")
        table[name] = Key(shape or ANY, since, until, required)
    return table


def _version(text: str) -> Version:
    major, minor = text.split(".")
    return Version(int(major), int(minor))


_ENTITY_TYPE = "derived_from:string version:string|number metadata:map description:string"
_PROPERTY = ("type:string! description:string required:boolean default:any status:string constraints "
             "key_schema:string|map@1.3 entry_schema:string|map external-schema:string@1.2 metadata:map@1.3")

GRAMMAR_1: dict[str, dict[str, Key]] = {
    "service_template": keys(
        "tosca_definitions_version:string! namespace:string@1.2 metadata:map description:string dsl_definitions "
        "repositories:map imports:list artifact_types:map data_types:map capability_types:map "
        "interface_types:map relationship_types:map node_types:map group_types:map policy_types:map "
        "topology_template:map"),
    "import": keys("file:string! repository:string namespace_uri:string namespace_prefix:string"),
    "repository": keys("description:string url:string! credential:map"),
    # -- types -----------------------------------------------------------------------------
    "artifact_type": keys(_ENTITY_TYPE + " mime_type:string file_ext:list properties:map"),
    "data_type": keys(_ENTITY_TYPE + " constraints properties:map key_schema:string|map@1.3 "
                      "entry_schema:string|map@1.3"),
    "capability_type": keys(_ENTITY_TYPE + " properties:map attributes:map valid_source_types:list"),
    "interface_type": keys(_ENTITY_TYPE + " inputs:map operations:map@1.3 notifications:map@1.3"),
    "relationship_type": keys(_ENTITY_TYPE + " properties:map attributes:map interfaces:map "
                              "valid_target_types:list"),
    "node_type": keys(_ENTITY_TYPE + " properties:map attributes:map requirements:list capabilities:map "
                      "interfaces:map artifacts:map|list"),
    "group_type": keys(_ENTITY_TYPE + " properties:map attributes:map members:list requirements:list "
                       "capabilities:map interfaces:map"),
    "policy_type": keys(_ENTITY_TYPE + " properties:map targets:list triggers:map"),
    # -- definitions inside types ---------------------------------------------------------------
    "property_definition": keys(_PROPERTY),
    "attribute_definition": keys("type:string! description:string default:any status:string "
                                 "key_schema:string|map@1.3 entry_schema:string|map metadata:map@1.3"),
    "parameter_definition": keys(_PROPERTY.replace("type:string!", "type:string") + " value:any"),
    "schema_definition": keys("type:string! description:string constraints "
                              "key_schema:string|map@1.3 entry_schema:string|map"),
    "capability_definition": keys("type:string! description:string properties:map attributes:map "
                                  "valid_source_types:list occurrences:list"),
    "requirement_definition": keys("capability:string! node:string relationship:string|map occurrences:list "
                                   "description:string@1.3"),
    "requirement_relationship": keys("type:string! interfaces:map description:string@1.3"),
    "interface_definition": keys("type:string description:string@1.3 inputs:map operations:map@1.3 "
                                 "notifications:map@1.3"),
    "operation_definition": keys("description:string implementation:string|map inputs:map outputs:map@1.3"),
    "notification_definition": keys("description:string implementation:string|map outputs:map"),
    "implementation": keys("primary:string|map dependencies:list timeout:number@1.3 operation_host:string@1.3"),
    "artifact_definition": keys("type:string! file:string! repository:string description:string "
                                "deploy_path:string artifact_version:string|number@1.3 checksum:string@1.3 "
                                "checksum_algorithm:string@1.3 properties:map@1.3"),
    # -- templates ------------------------------------------------------------------------------
    "topology_template": keys("description:string inputs:map node_templates:map relationship_templates:map "
                              "groups:map policies:list|map outputs:map substitution_mappings:map "
                              "workflows:map@1.2"),
    "node_template": keys("type:string! description:string metadata:map directives:list properties:map "
                          "attributes:map requirements:list capabilities:map interfaces:map artifacts:map|list "
                          "node_filter:map copy:string@1.2"),
    "relationship_template": keys("type:string! description:string metadata:map properties:map attributes:map "
                                  "interfaces:map copy:string@1.2"),
    "group": keys("type:string! description:string metadata:map properties:map members:list interfaces:map"),
    "policy": keys("type:string! description:string metadata:map properties:map targets:list triggers:map"),
    "requirement_assignment": keys("capability:string node:string relationship:string|map node_filter:map "
                                   "occurrences:list@1.3"),
    "relationship_assignment": keys("type:string properties:map interfaces:map"),
    "capability_assignment": keys("properties:map attributes:map occurrences:list@1.3"),
    "interface_assignment": keys("type:string inputs:map operations:map@1.3 notifications:map@1.3"),
    "operation_assignment": keys("description:string implementation:string|map inputs:map outputs:map@1.3"),
    "substitution_mappings": keys("node_type:string! substitution_filter:map@1.3 properties:map "
                                  "capabilities:map requirements:map attributes:map@1.3 interfaces:map"),
    "node_filter": keys("properties:list capabilities:list"),
    "trigger": keys("description:string event:string|map event_type:string schedule:map target_filter:map "
                    "condition:any constraint:any period:any evaluations:number method:string action:any "
                    "metric:string metadata"),
    "workflow": keys("description:string metadata:map inputs:map preconditions:list~1.3 precondition:any@2.0 "
                     "steps:map|null "
                     "implementation:string|map outputs:map"),
    "workflow_step": keys("target:string! target_relationship:string operation_host:string~1.3 filter:list "
                          "activities:list! on_success:string|list on_failure:string|list"),
}

# Before TOSCA 1.3 an interface definition lists its operations directly among
# its keynames; from 1.3 they sit under ``operations``. Both are read.
INTERFACE_KEYWORDS = frozenset({"type", "description", "inputs", "operations", "notifications",
                                "derived_from", "version", "metadata"})

# The constructs whose keynames tosca-parser (and so IM) checks: an unknown
# keyname there is an error. Elsewhere IM ignores it, so it is a warning (the
# specification still forbids it: ``--strict`` makes warnings fail).
STRICT_CONSTRUCTS = frozenset({
    "service_template", "topology_template", "node_template", "node_type", "relationship_type", "group_type",
    "policy_type", "group", "policy", "trigger", "parameter_definition", "requirement_assignment",
    "repository", "substitution_mappings", "import", "node_filter",
})
# Keynames whose value's shape IM never looks at: a wrong shape is a warning.
LENIENT_SHAPES = frozenset({"metadata"})

# Keynames other processors accept, from drafts of the 1.0 specification, that
# real templates still write: accepted with a warning.
LEGACY_TOP_LEVEL = frozenset({"template_name", "template_author", "template_version", "tosca_default_namespace"})


def shape_ok(shape: str, value: Any) -> bool:
    allowed = SHAPES.get(shape)
    if allowed is None:
        return True
    if isinstance(value, bool) and shape in (NUM, STR_OR_NUM):
        return False
    return isinstance(value, allowed)


# What TOSCA 2.0 changes, construct by construct: a keyname written here
# replaces the 1.x entry of that name (``~1.3``: 2.0 dropped it; ``@2.0``: 2.0
# added it); every other 1.x keyname stays as it is. New constructs of 2.0
# are whole tables.
_SCHEMA_2 = "key_schema:string|map entry_schema:string|map validation:any@2.0 constraints~1.3"
_PROPERTY_2 = _SCHEMA_2 + " value:any@2.0 external-schema:string@1.2~1.3"
OVERRIDES_2: dict[str, str] = {
    "service_template": "namespace:string@1.2~1.3 topology_template:map~1.3 dsl_definitions:map "
                        "profile:string@2.0 functions:map@2.0 service_template:map@2.0",
    "repository": "credential:map~1.3 metadata:map@2.0",
    "import": "file:string~1.3 namespace_uri:string~1.3 namespace_prefix:string~1.3 url:string@2.0 "
              "profile:string@2.0 namespace:string@2.0 description:string@2.0 metadata:map@2.0",
    "artifact_type": "",
    "data_type": _SCHEMA_2 + " data_type:string@2.0 units:map@2.0 canonical_unit:string@2.0 prefixes:map@2.0",
    "capability_type": "valid_source_types:list~1.3 valid_source_node_types:list@2.0 "
                       "valid_relationship_types:list@2.0",
    "relationship_type": "valid_target_types:list~1.3 valid_capability_types:list@2.0 "
                         "valid_target_node_types:list@2.0 valid_source_node_types:list@2.0",
    "node_type": "artifacts:map",
    "group_type": "requirements:list~1.3 capabilities:map~1.3 interfaces:map~1.3",
    "policy_type": "triggers:map",
    "property_definition": _PROPERTY_2,
    "attribute_definition": "key_schema:string|map entry_schema:string|map validation:any@2.0",
    "parameter_definition": _PROPERTY_2 + " mapping:list@2.0",
    "schema_definition": _SCHEMA_2 + " metadata:map@2.0",  # 9.3's grammar
    "capability_definition": "valid_source_types:list~1.3 occurrences:list~1.3 metadata:map@2.0 "
                             "valid_source_node_types:list@2.0 valid_relationship_types:list@2.0",
    "requirement_definition": "capability:string occurrences:list~1.3 node:string metadata:map@2.0 "
                              "node_filter:any@2.0 count_range:list@2.0",
    "requirement_relationship": "properties:map@2.0 attributes:map@2.0 metadata:map@2.0",
    "interface_definition": "metadata:map@2.0",
    "notification_definition": "inputs:map@2.0",
    "operation_definition": "",
    "artifact_definition": "file:string! metadata:map@2.0",
    # 10.4: function definitions inside a service template refine those outside it
    "topology_template": "node_templates:map! policies:list metadata:map@2.0 workflows:map functions:map@2.0",
    "node_template": "type:string count:any@2.0 artifacts:map copy:string",
    "relationship_template": "type:string copy:string",
    "group": "interfaces:map~1.3 attributes:map@2.0",
    "policy": "triggers:map",
    "trigger": "event:string! action:list! event_type:string~1.3 schedule:map~1.3 target_filter:map~1.3 "
               "constraint:any~1.3 period:any~1.3 evaluations:number~1.3 method:string~1.3 metric:string~1.3",
    "requirement_assignment": "occurrences:list~1.3 node:string|list node_filter:any count:any@2.0 "
                              "allocation:map@2.0 directives:list@2.0 optional:boolean@2.0",
    "relationship_assignment": "attributes:map@2.0",
    "capability_assignment": "occurrences:list~1.3 directives:list@2.0",
    "substitution_mappings": "substitution_filter:any@1.3 requirements:map|list",
}
# 1.3 keynames 2.0 renamed: (construct, 1.3 keyname) -> its 2.0 spelling
RENAMED_2 = {
    ("service_template", "topology_template"): "service_template",
    ("capability_type", "valid_source_types"): "valid_source_node_types",
    ("capability_definition", "valid_source_types"): "valid_source_node_types",
    ("relationship_type", "valid_target_types"): "valid_capability_types",
    ("requirement_definition", "occurrences"): "count_range",
    ("requirement_assignment", "occurrences"): "count",
    ("property_definition", "constraints"): "validation",
    ("parameter_definition", "constraints"): "validation",
    ("schema_definition", "constraints"): "validation",
    ("data_type", "constraints"): "validation",
    ("import", "file"): "url",
    ("import", "namespace_prefix"): "namespace",
    ("import", "namespace_uri"): "namespace",
}
# 1.3 keynames 2.0 deprecates rather than drops: (construct, keyname) -> what to write instead.
# 8.2 and 8.3: "the occurrences keyname ... is deprecated in TOSCA 2.0"; allocation replaces it.
DEPRECATED_2 = {
    ("capability_definition", "occurrences"): "a requirement assignment's 'allocation' limits a capability",
    ("capability_assignment", "occurrences"): "a requirement assignment's 'allocation' limits a capability",
}
NEW_2 = {
    "function_definition": keys("description:string metadata:map signatures:list!"),
    "function_signature": keys("arguments:list optional_arguments:list variadic:boolean result:string|map "
                               "implementation:any"),
}


def _with_overrides(base: dict[str, dict[str, Key]], overrides: dict[str, str],
                    new: dict[str, dict[str, Key]]) -> dict[str, dict[str, Key]]:
    table = {construct: {**entries, **keys(overrides.get(construct, ""))} for construct, entries in base.items()}
    table.update(new)
    return table


GRAMMAR_2 = _with_overrides(GRAMMAR_1, OVERRIDES_2, NEW_2)


def grammar_for(version: Version) -> dict[str, dict[str, Key]]:
    return GRAMMAR_2 if version >= V2_0 else GRAMMAR_1



# The functions of TOSCA 1.x, by name; a one-key map with one of these keys is a call.
FUNCTIONS_1 = frozenset({
    "get_input", "get_property", "get_attribute", "get_operation_output", "get_nodes_of_type", "get_artifact",
    "concat", "join", "token",
})


def is_call_1(value: Any) -> bool:
    """True for a TOSCA 1.x function call such as ``{get_input: name}``."""
    return type(value) is dict and len(value) == 1 and next(iter(value)) in FUNCTIONS_1
