"""The catalogue of rule ids.

Every diagnostic any stage emits names one of these rules. Ids are stable:
a rule may be reworded or retired, never renumbered. The families are

* PT1xx: reading a file (YAML, encoding, limits)
* PT2xx: imports (local files, URLs, the import map and cache)
* PT3xx: template structure and types
* PT4xx: inputs and functions
* PT5xx: property values (scalar units, ports)
* PT6xx: artifacts (Ansible Galaxy specs)
* PT7xx: compiling to a target (RADL, EC3, Kubernetes)
* PT8xx: findings of tosca-parser (opt-in), mapped back to a position
* PT9xx: internal errors (a bug of ours or of a library, never the user's)

``docs/rules.md`` is generated from this table (``python -m primage_tosca rules --markdown``).
"""

from __future__ import annotations


from .diagnostics import Diagnostic, Location, Severity, TemplatePath
from .records import record


@record(frozen=True)
class Rule:
    id: str
    name: str
    severity: Severity
    summary: str
    section: str = ""  # where TOSCA (Simple Profile 1.3 unless it says otherwise) states the rule


E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO
YAML = "YAML 1.2; TOSCA 1.3 3.1"
NONE = "not a TOSCA rule: a limit or convention of this tool"

RULES: dict[str, Rule] = {
    rule.id: rule
    for rule in [
        Rule("PT100", "yaml-syntax", E, "The file is not valid YAML.", YAML),
        Rule("PT101", "yaml-not-mapping", E, "The document is not a mapping of TOSCA keys.", "3.10 Service template"),
        Rule("PT102", "yaml-duplicate-key", E, "A mapping repeats a key; YAML loaders silently keep the last.",
             "YAML 1.2, 3.2.1.1: mapping keys are unique"),
        Rule("PT103", "file-empty", E, "The file is empty or holds only comments.", "3.10 Service template"),
        Rule("PT104", "file-too-large", E, "The file is larger than the configured limit.", NONE),
        Rule("PT105", "file-encoding", E, "The file is binary or not UTF-8/UTF-16 text.", "YAML 1.2, 5.2"),
        Rule("PT106", "yaml-alias-bomb", E, "YAML aliases expand past the configured limit (billion laughs).", NONE),
        Rule("PT107", "yaml-too-deep", E, "Nesting is deeper than the configured limit.", NONE),
        Rule("PT108", "yaml-unsupported", E, "A YAML construct TOSCA cannot use (complex keys, several documents, "
             "unknown tags).", "3.10 Service template: one document of keynames"),
        Rule("PT109", "file-unreadable", E, "The file cannot be read (missing, a directory, no permission).", NONE),
        Rule("PT110", "csar-invalid", E, "A CSAR is not a readable zip, tarball or folder, its TOSCA.meta is "
             "malformed or not UTF-8, or its entry definitions file is missing or ambiguous.",
             "TOSCA 2.0, 16 (CSAR); 1.3, 6"),
        Rule("PT111", "csar-unsafe", E, "A CSAR member's path is absolute or leaves the archive, or the archive holds "
             "links, devices, FIFOs or repeated names.", "TOSCA 2.0, 16.2 (CSAR structure)"),
        Rule("PT112", "csar-too-large", E, "A CSAR is larger than the limits allow (archive size, one file, all "
             "files, member count, compression ratio).", NONE),
        Rule("PT200", "import-not-found", E, "An imported local file does not exist or is not a file, or an "
             "imported profile name is neither built in nor in the import map.",
             "3.6.8 Import definition"),
        Rule("PT201", "import-url-offline", E, "A URL import is neither in the import map, nor built into the "
             "package, nor in the cache, and fetching is off.", NONE),
        Rule("PT202", "import-refused", E, "An import is refused by the safety policy (file:// URL, plain http, "
             "outside the roots).", NONE),
        Rule("PT203", "import-cycle", E, "Imports form a cycle (a file imports itself, directly or not).",
             "3.6.8 Import definition"),
        Rule("PT204", "import-fetch-failed", E, "Fetching a URL import failed.", "3.6.8 Import definition"),
        Rule("PT205", "import-invalid", E, "An import definition is malformed or names an unknown repository.",
             "3.6.8 Import definition; 3.6.6 Repository definition"),
        Rule("PT300", "version-missing", E, "The template has no tosca_definitions_version.",
             "3.10 Service template: tosca_definitions_version is required"),
        Rule("PT301", "version-unknown", E, "tosca_definitions_version names a version no parser knows.",
             "3.10 Service template; 3.1 TOSCA namespace URI and alias"),
        Rule("PT302", "types-unchecked", I, "Type checks were skipped because an import could not be loaded.", NONE),
        Rule("PT303", "unknown-keyname", E, "A keyname the construct does not have in any TOSCA version.",
             "the keyname table of each construct, 3.6 to 3.10"),
        Rule("PT304", "keyname-version", E, "A keyname of another TOSCA version than the file declares (a warning "
             "between 1.x versions), or an import between a TOSCA 2.0 file and a 1.x file.",
             "the keyname tables of each version"),
        Rule("PT305", "keyname-missing", E, "A required keyname is missing (a node template's type, a property's "
             "type, an output's value).", "the keyname table of each construct"),
        Rule("PT306", "keyname-shape", E, "A keyname's value has the wrong shape (a list where a map is needed, a "
             "number where a name is).", "the grammar of each construct"),
        Rule("PT307", "version-not-first", E, "In a TOSCA 2.0 file, tosca_definitions_version is not the first "
             "keyname.", "TOSCA 2.0, 6.1 TOSCA file definition"),
        Rule("PT308", "profile-with-service-template", E, "A TOSCA 2.0 file declares a profile and also defines a "
             "service_template.", "TOSCA 2.0, 6.7.1 Profile definition"),
        Rule("PT310", "unknown-node-type", E, "A node template or type names a node type that is not defined.",
             "3.7.9 Node type; 3.8.3 Node template"),
        Rule("PT311", "unknown-capability-type", E, "A capability names a capability type that is not defined.",
             "3.7.2 Capability definition; 3.7.7 Capability type"),
        Rule("PT312", "unknown-relationship-type", E, "A requirement or relationship names a relationship type that "
             "is not defined.", "3.7.3 Requirement definition; 3.8.2 Requirement assignment"),
        Rule("PT313", "unknown-data-type", E, "A property, input or data type names a data type that is not defined.",
             "3.6.10 Property definition; 3.7.6 Data type"),
        Rule("PT314", "unknown-artifact-type", E, "An artifact names an artifact type that is not defined.",
             "3.6.7 Artifact definition"),
        Rule("PT315", "unknown-interface-type", E, "An interface names an interface type that is not defined.",
             "3.6.21 Interface definition; 3.7.5 Interface type"),
        Rule("PT316", "unknown-group-type", E, "A group names a group type that is not defined.",
             "3.8.5 Group definition"),
        Rule("PT317", "unknown-policy-type", E, "A policy names a policy type that is not defined.",
             "3.8.6 Policy definition"),
        Rule("PT318", "derivation-cycle", E, "A type derives from itself, directly or through others.",
             "3.7.1 Entity type schema: derived_from"),
        Rule("PT320", "requirement-missing-node", E, "A requirement names a node template that does not exist.",
             "3.8.2 Requirement assignment: node"),
        Rule("PT321", "dependency-cycle", E, "Requirements between node templates form a cycle.",
             "3.9 Topology template (an order of deployment must exist)"),
        Rule("PT322", "requirement-unknown", E, "A node template assigns a requirement its type does not define.",
             "3.8.2 Requirement assignment; 3.8.3 Node template"),
        Rule("PT323", "requirement-target-type", W, "A requirement's target is not of the node type its definition "
             "asks for (IM and tosca-parser do not check it, so a warning).", "3.7.3 Requirement definition: node"),
        Rule("PT324", "requirement-capability", W, "A requirement's target offers no capability of the type (or "
             "name) asked for (IM does not check it, so a warning).", "3.7.3 Requirement definition: capability; 3.8.2"),
        Rule("PT325", "capability-source-type", W, "A capability's valid_source_types do not include the requiring "
             "node's type.", "3.7.2 Capability definition: valid_source_types"),
        Rule("PT326", "relationship-target-type", W, "A relationship's valid_target_types do not include the "
             "target's capability.", "3.7.10 Relationship type: valid_target_types"),
        Rule("PT327", "requirement-occurrences", E, "A requirement is assigned fewer or more times than its "
             "occurrences allow.", "3.7.3 Requirement definition: occurrences"),
        Rule("PT328", "node-filter", E, "A node filter is malformed.", "3.6.5 Node filter definition"),
        Rule("PT329", "node-filter-unsatisfied", E, "A requirement's node filter is false for the node template "
             "the assignment names, or for every node template that could fulfil it, with the values the "
             "template writes.", "TOSCA 2.0, 8.6 Node filter definition"),
        Rule("PT330", "fragment-parent", E, "A parent named in metadata.parents cannot be found or composed.",
             "not TOSCA: the IM Dashboard's fragments convention"),
        Rule("PT331", "type-redefined", W, "Two files define a type of the same name differently.",
             "3.2 Using namespaces (name collisions)"),
        Rule("PT332", "copy", E, "A node template copies a template that does not exist, itself or another copy.",
             "3.8.3 Node template: copy"),
        Rule("PT333", "member-type", E, "A group member or policy target does not exist or is not of a type the "
             "group or policy type allows.", "3.7.11 Group type: members; 3.7.12 Policy type: targets"),
        Rule("PT334", "substitution-mapping", E, "A substitution mapping names what its node type or the topology "
             "does not have.", "3.8.10 Substitution mapping"),
        Rule("PT335", "workflow", E, "A workflow's steps are malformed or name steps, nodes or activities that do "
             "not exist.", "3.8.7 Imperative workflow definition"),
        Rule("PT336", "interface-operation", E, "An interface or operation that the type does not define.",
             "3.6.21 Interface definition; 3.6.22 Interface assignment"),
        Rule("PT337", "capability-unknown", E, "A node template assigns a capability its type does not define.",
             "3.8.1 Capability assignment"),
        Rule("PT338", "name-duplicate", E, "A name is given twice where TOSCA 2.0 wants it unique: two files define "
             "it in one namespace (a warning: the lookup takes the first), or a service template names two "
             "policies alike.", "TOSCA 2.0, 6.8.4 Namespaces; 6.9.1 Service template grammar"),
        Rule("PT339", "deprecated", W, "A template assigns a property its definition marks deprecated or unsupported.",
             "3.6.10 Property definition: status"),
        Rule("PT340", "refinement", W, "A derived definition does not narrow what it inherits (a property's type "
             "changed to an unrelated one, a required one made optional).",
             "3.6.10.4 Property refinement rules; 3.7.x refinement"),
        Rule("PT341", "requirement-allocation", E, "A requirement's allocation names a property that is not an "
             "integer, float or scalar (an error), or one the target capability does not have (a warning: "
             "the allocation cannot be honoured).",
             "TOSCA 2.0, 8.5.5 Capability allocation"),
        Rule("PT390", "library-findings", W, "An imported type library (fetched by URL) has findings; they are "
             "folded into one line unless asked for.", NONE),
        Rule("PT400", "get-input-undeclared", E, "get_input names an input the template does not declare.",
             "4.4.1 get_input"),
        Rule("PT401", "input-required-missing", E, "A required input without a default was not supplied.",
             "3.6.14 Parameter definition: required"),
        Rule("PT402", "input-unused", W, "An input is declared but never read with get_input.", NONE),
        Rule("PT403", "input-not-declared", W, "A supplied input value names an input the template does not declare.",
             "3.9 Topology template: inputs"),
        Rule("PT410", "secret-inline", E, "A secret (token, password) is written into the template instead of read "
             "from a secret input.", "not TOSCA: the PRIMAGE platform's rules"),
        Rule("PT411", "secret-input-missing", E, "A secret input has neither a supplied value nor a default when one "
             "is needed.", "not TOSCA: the PRIMAGE platform's rules"),
        Rule("PT420", "function-arguments", E, "A function is called with the wrong number or kind of arguments.",
             "4 TOSCA functions (the grammar of each)"),
        Rule("PT421", "function-entity", E, "A function names a node template that does not exist, or a keyword "
             "(SELF, SOURCE, TARGET, HOST) that means nothing where it is written.", "4.1 Reserved function keywords"),
        Rule("PT422", "function-reference", E, "A function names a property, attribute, capability, requirement, "
             "artifact or index its entity does not have.", "4.4 Property functions; 4.5 Attribute functions"),
        Rule("PT423", "function-unknown", E, "A TOSCA 2.0 $-function call names a function that is neither built "
             "in nor defined under 'functions': an error for a 1.x function 2.0 dropped or a near miss of a built-in "
             "name, else a warning (the orchestrator may provide it).", "TOSCA 2.0, 10.1 Function syntax; 10.4 Custom functions"),
        Rule("PT500", "scalar-unit", E, "A scalar-unit value (size, time, frequency, bitrate) is malformed.",
             "3.3.6 scalar-unit"),
        Rule("PT501", "port", E, "A port number is not an integer from 1 to 65535.", "5.3.5 tosca.datatypes.network.PortDef"),
        Rule("PT502", "port-range", E, "A port range or port specification is malformed.",
             "5.3.6 tosca.datatypes.network.PortSpec"),
        Rule("PT503", "value-type", E, "A value is not of its declared type.", "3.3 Parameter and property types; "
             "3.6.11 Property assignment"),
        Rule("PT504", "value-constraint", E, "A value breaks a constraint of its definition or data type.",
             "3.6.3 Constraint clause"),
        Rule("PT505", "value-required", E, "A required property or field has no value.",
             "3.6.10 Property definition: required"),
        Rule("PT506", "value-unknown", E, "A template or a complex value assigns a property or field its type does "
             "not define.", "3.6.11 Property assignment; 3.7.6 Data type"),
        Rule("PT507", "constraint-malformed", E, "A constraint clause is malformed or does not fit the type it "
             "constrains.", "3.6.3 Constraint clause"),
        Rule("PT508", "value-lenient", W, "A value other processors convert (a quoted number, 'true' in quotes) "
             "where TOSCA wants another type.", "3.3 Parameter and property types"),
        Rule("PT600", "galaxy-spec", E, "An Ansible Galaxy artifact spec is malformed.",
             "not TOSCA: IM's tosca.artifacts.AnsibleGalaxy types"),
        Rule("PT700", "compile-unmapped", W, "The compiler cannot map this construct to the target; it is left out.",
             "the target's documentation (RADL, EC3, Kubernetes)"),
        Rule("PT701", "function-unresolved", W, "A TOSCA function cannot be evaluated at compile time; it stays "
             "symbolic.", "4 TOSCA functions"),
        Rule("PT702", "compile-error", E, "The template cannot be compiled to the target.",
             "the target's documentation (RADL, EC3, Kubernetes)"),
        Rule("PT720", "registry-credential-missing", E, "An image from a private registry has no registry "
             "credential.", "not TOSCA: the PRIMAGE platform's rules"),
        Rule("PT721", "input-selection-empty", E, "An HTC job's input selection matches no file.",
             "not TOSCA: the PRIMAGE platform's rules"),
        Rule("PT800", "tosca-parser", E, "tosca-parser rejected the template (its message, placed where we could).",
             "tosca-parser's own checks (opt-in: --toscaparser)"),
        Rule("PT801", "tosca-parser-relaxed", W, "tosca-parser is stricter here than the IM deployments accept.",
             "tosca-parser's own checks (opt-in: --toscaparser)"),
        Rule("PT900", "internal-error", E, "An exception escaped a checker; the template may still be wrong, but "
             "this is a bug to report.", NONE),
    ]
}


def rule(rule_id: str) -> Rule:
    return RULES[rule_id]


def make(
    rule_id: str,
    message: str,
    location: Location,
    path: TemplatePath = (),
    hint: str | None = None,
    severity: Severity | None = None,
) -> Diagnostic:
    """Build a diagnostic of a catalogued rule, with the rule's own severity
    unless the caller has a reason to override it."""
    entry = RULES[rule_id]
    return Diagnostic(
        rule=rule_id,
        severity=severity or entry.severity,
        message=message,
        location=location,
        path=tuple(path),
        hint=hint,
    )


class Reporter:
    """Reports findings of catalogued rules at places in documents, into one
    collector. Phases hold one and never build a Location themselves."""

    def __init__(self, collector) -> None:
        self.collector = collector

    def __call__(self, rule_id: str, message: str, document, path: TemplatePath = (), *, key: bool = False,
                 hint: str | None = None, severity: Severity | None = None) -> None:
        self.collector.add(self.place(rule_id, message, document, path, key=key, hint=hint, severity=severity))

    @staticmethod
    def place(rule_id: str, message: str, document, path: TemplatePath = (), *, key: bool = False,
              hint: str | None = None, severity: Severity | None = None) -> Diagnostic:
        """The finding, placed where ``path`` is written in ``document``."""
        where = document.locate(tuple(path), key) if document is not None else Location("<unknown>")
        return make(rule_id, message, where, path, hint, severity)
