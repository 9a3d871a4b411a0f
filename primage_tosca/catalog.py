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
* PT8xx: findings of tosca-parser, mapped back to a position
* PT9xx: internal errors (a bug of ours or of a library, never the user's)

``docs/rules.md`` is generated from this table (``python -m primage_tosca rules --markdown``).
"""

from __future__ import annotations

from dataclasses import dataclass

from .diagnostics import Diagnostic, Location, Severity, TemplatePath


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    severity: Severity
    summary: str


E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO

RULES: dict[str, Rule] = {
    rule.id: rule
    for rule in [
        Rule("PT100", "yaml-syntax", E, "The file is not valid YAML."),
        Rule("PT101", "yaml-not-mapping", E, "The document is not a mapping of TOSCA keys."),
        Rule("PT102", "yaml-duplicate-key", E, "A mapping repeats a key; YAML loaders silently keep the last."),
        Rule("PT103", "file-empty", E, "The file is empty or holds only comments."),
        Rule("PT104", "file-too-large", E, "The file is larger than the configured limit."),
        Rule("PT105", "file-encoding", E, "The file is binary or not UTF-8/UTF-16 text."),
        Rule("PT106", "yaml-alias-bomb", E, "YAML aliases expand past the configured limit (billion laughs)."),
        Rule("PT107", "yaml-too-deep", E, "Nesting is deeper than the configured limit."),
        Rule("PT108", "yaml-unsupported", E, "A YAML construct TOSCA cannot use (complex keys, several documents, unknown tags)."),
        Rule("PT109", "file-unreadable", E, "The file cannot be read (missing, a directory, no permission)."),
        Rule("PT110", "csar-invalid", E, "A CSAR is not a readable zip, tarball or folder, its TOSCA.meta is malformed or not UTF-8, or its entry definitions file is missing or ambiguous."),
        Rule("PT111", "csar-unsafe", E, "A CSAR member's path is absolute or leaves the archive, or the archive holds links, devices, FIFOs or repeated names."),
        Rule("PT112", "csar-too-large", E, "A CSAR is larger than the limits allow (archive size, one file, all files, member count, compression ratio)."),
        Rule("PT200", "import-not-found", E, "An imported local file does not exist or is not a file."),
        Rule("PT201", "import-url-offline", E, "A URL import is neither in the import map nor in the cache, and fetching is off."),
        Rule("PT202", "import-refused", E, "An import is refused by the safety policy (file:// URL, plain http, outside the roots)."),
        Rule("PT203", "import-cycle", E, "Imports form a cycle (a file imports itself, directly or not)."),
        Rule("PT204", "import-fetch-failed", E, "Fetching a URL import failed."),
        Rule("PT205", "import-invalid", E, "An import definition is malformed or names an unknown repository."),
        Rule("PT300", "version-missing", E, "The template has no tosca_definitions_version."),
        Rule("PT301", "version-unknown", E, "tosca_definitions_version names a version no parser knows."),
        Rule("PT302", "types-unchecked", I, "Type checks were skipped because an import could not be loaded."),
        Rule("PT310", "unknown-node-type", E, "A node template or type names a node type that is not defined."),
        Rule("PT311", "unknown-capability-type", E, "A capability names a capability type that is not defined."),
        Rule("PT312", "unknown-relationship-type", E, "A requirement or relationship names a relationship type that is not defined."),
        Rule("PT313", "unknown-data-type", E, "A property, input or data type names a data type that is not defined."),
        Rule("PT314", "unknown-artifact-type", E, "An artifact names an artifact type that is not defined."),
        Rule("PT320", "requirement-missing-node", E, "A requirement names a node template that does not exist."),
        Rule("PT321", "dependency-cycle", E, "Requirements between node templates form a cycle."),
        Rule("PT330", "fragment-parent", E, "A parent named in metadata.parents cannot be found or composed."),
        Rule("PT400", "get-input-undeclared", E, "get_input names an input the template does not declare."),
        Rule("PT401", "input-required-missing", E, "A required input without a default was not supplied."),
        Rule("PT402", "input-unused", W, "An input is declared but never read with get_input."),
        Rule("PT403", "input-not-declared", W, "A supplied input value names an input the template does not declare."),
        Rule("PT410", "secret-inline", E, "A secret (token, password) is written into the template instead of read from a secret input."),
        Rule("PT411", "secret-input-missing", E, "A secret input has neither a supplied value nor a default when one is needed."),
        Rule("PT500", "scalar-unit", E, "A scalar-unit value (size, time, frequency, bitrate) is malformed."),
        Rule("PT501", "port", E, "A port number is not an integer from 1 to 65535."),
        Rule("PT502", "port-range", E, "A port range or port specification is malformed."),
        Rule("PT600", "galaxy-spec", E, "An Ansible Galaxy artifact spec is malformed."),
        Rule("PT700", "compile-unmapped", W, "The compiler cannot map this construct to the target; it is left out."),
        Rule("PT701", "function-unresolved", W, "A TOSCA function cannot be evaluated at compile time; it stays symbolic."),
        Rule("PT702", "compile-error", E, "The template cannot be compiled to the target."),
        Rule("PT720", "registry-credential-missing", E, "An image from a private registry has no registry credential."),
        Rule("PT721", "input-selection-empty", E, "An HTC job's input selection matches no file."),
        Rule("PT800", "tosca-parser", E, "tosca-parser rejected the template (its message, placed where we could)."),
        Rule("PT801", "tosca-parser-relaxed", W, "tosca-parser is stricter here than the IM deployments accept."),
        Rule("PT900", "internal-error", E, "An exception escaped a checker; the template may still be wrong, but this is a bug to report."),
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
