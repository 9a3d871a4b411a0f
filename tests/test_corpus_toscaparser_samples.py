"""Our verdict on tosca-parser's own sample templates agrees with its tests.

tosca-parser 2.15's unit tests (installed with it, in
``toscaparser/tests/``) say which files of ``samples/tests/data`` parse and
which fail. EXPECTED below is that table, written out by reading those tests;
each entry names the upstream test that defines it. Our verdict is "fails" when
``validate`` reports any error for the file.

Where our verdict differs on purpose, KNOWN_DISAGREEMENTS says why. The test
fails on a new disagreement, and on a listed one that no longer happens (so the
list stays true).

Options mirror the upstream tests: the same parsed_params, the data folder as
the import root (samples climb out of their own folder with ``../``), and an
import map standing in for the ``urlopen`` mocks that serve
``https://example.com/custom_types/*`` from ``data/custom_types``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from primage_tosca.imports.template import LoadOptions
from primage_tosca.imports.policy import ImportMap, ImportPolicy
from primage_tosca.validation import validate

from conftest import CORPUS, needs_corpus

DATA = CORPUS / "tosca-parser-samples" / "samples" / "tests" / "data"

PASS, FAIL = "pass", "fail"
WORDPRESS_PARAMS = {"db_name": "my_wordpress", "db_user": "my_db_user", "db_root_pwd": "12345678"}
GET_ATTRIBUTE_PARAMS = {"db_root_pwd": "1234"}  # test_functions.GetAttributeTest._load_template

# file -> (expected verdict, upstream test that defines it, parsed_params it uses)
EXPECTED: dict[str, tuple[str, str, dict | None]] = {
    # test_toscatpl.py
    "tosca_single_instance_wordpress.yaml": (PASS, "test_toscatpl.ToscaTemplateTest (class setup)", WORDPRESS_PARAMS),
    "tosca_elk.yaml": (PASS, "test_toscatpl.ToscaTemplateTest.test_relationship", None),
    "repositories/tosca_repositories_test_definition.yaml": (PASS, "test_toscatpl.ToscaTemplateTest.test_repositories", None),
    "test_nodetype_without_relationship.yaml": (PASS, "test_toscatpl.test_nodetype_without_relationship", None),
    "test_tosca_normative_type_by_shortname.yaml": (PASS, "test_toscatpl.test_normative_type_by_short_name", None),
    "test_no_inputs_in_template.yaml": (PASS, "test_toscatpl.test_template_with_no_inputs", None),
    "test_no_outputs_in_template.yaml": (PASS, "test_toscatpl.test_template_with_no_outputs", None),
    "custom_types/wordpress.yml": (PASS, "test_toscatpl.test_template_file_with_suffix_yml", None),
    "requirements/test_requirements.yaml": (PASS, "test_toscatpl.test_template_requirements", None),
    "test_capability_without_properties.yaml": (PASS, "test_toscatpl.test_capability_without_properties", None),
    "tosca_single_instance_wordpress_with_url_import.yaml": (
        PASS, "test_toscatpl.test_local_template_with_url_import", {"db_root_pwd": "123456"}),
    "tosca_single_instance_wordpress_with_local_abspath_import.yaml": (
        FAIL, "test_toscatpl.test_url_template_with_local_abspath_import", None),
    "test_instance_nested_imports.yaml": (PASS, "test_toscatpl.test_nested_imports_in_templates", None),
    "test_multiple_validation_errors.yaml": (FAIL, "test_toscatpl.test_multiple_validation_errors", None),
    "test_invalid_section_names.yaml": (FAIL, "test_toscatpl.test_invalid_section_names", None),
    "test_available_rel_tpls.yaml": (PASS, "test_toscatpl.test_available_rel_tpls", None),
    "tosca_helloworld.yaml": (PASS, "test_toscatpl.test_yaml_dict_tpl_input", None),
    "policies/tosca_policy_template.yaml": (PASS, "test_toscatpl.test_policies_for_node_templates", None),
    "policies/tosca_custom_policy_template.yaml": (PASS, "test_toscatpl.test_policies_for_custom", None),
    "node_filter/test_node_filter.yaml": (PASS, "test_toscatpl.test_node_filter", None),
    "test_attributes_inheritance.yaml": (PASS, "test_toscatpl.test_attributes_inheritance", None),
    "repositories/test_repositories_definition.yaml": (PASS, "test_toscatpl.test_repositories_definition", None),
    "test_custom_caps_def.yaml": (PASS, "test_toscatpl.test_custom_caps_def", None),
    "test_custom_caps_with_datatype.yaml": (PASS, "test_toscatpl.test_custom_caps_with_custom_datatype", None),
    "test_tosca_custom_rel_with_script.yaml": (PASS, "test_toscatpl.test_custom_rel_with_script", None),
    "datatypes/test_datatype_portspec_add_req.yaml": (FAIL, "test_toscatpl.test_various_portspec_errors", None),
    "containers/test_container_docker_mysql.yaml": (
        PASS, "test_toscatpl.test_containers", {"mysql_root_pwd": "12345678"}),
    "test_endpoint_on_compute.yaml": (PASS, "test_toscatpl.test_endpoint_on_compute", None),
    "dsl_definitions/test_nested_dsl_def.yaml": (PASS, "test_toscatpl.test_nested_dsl_def", None),
    "policies/test_tosca_nfv_multiple_policies.yaml": (PASS, "test_toscatpl.test_multiple_policies", None),
    "test_custom_capabilty.yaml": (PASS, "test_toscatpl.test_custom_capability", None),
    "test_tosca_custom_rel.yaml": (PASS, "test_toscatpl.test_custom_rel_get_type", None),
    "policies/test_policies_without_required_property.yaml": (
        FAIL, "test_toscatpl.test_policies_without_required_property", None),
    # test_toscatplvalidation.py
    "interfaces/test_custom_interface_in_template.yaml": (
        PASS, "test_toscatplvalidation.test_custom_interface_allowed", None),
    "interfaces/test_custom_interface_invalid_operation.yaml": (
        FAIL, "test_toscatplvalidation.test_custom_interface_invalid_operation", None),
    "interfaces/test_custom_interface_operations.yaml": (
        PASS, "test_toscatplvalidation.test_custom_interface_operations", None),
    "interfaces/test_custom_interface_notifications.yaml": (
        PASS, "test_toscatplvalidation.test_custom_interface_notifications", None),
    "test_tosca_top_level_error1.yaml": (FAIL, "test_toscatplvalidation.test_first_level_sections", None),
    "test_tosca_top_level_error2.yaml": (FAIL, "test_toscatplvalidation.test_first_level_sections", None),
    "tosca_imports_validation.yaml": (FAIL, "test_toscatplvalidation.test_template_with_imports_validation", None),
    "relationship/test_custom_relationship_key_schema.yaml": (
        PASS, "test_toscatplvalidation.test_relationship_template_properties_key_schema", None),
    "test_tosca_version_1_3.yaml": (PASS, "test_toscatplvalidation.test_tosca_version_1_3", None),
    "test_import_tosca_version_1_3.yaml": (PASS, "test_toscatplvalidation.test_import_tosca_version_1_3", None),
    "test_invalid_template_version.yaml": (FAIL, "test_toscatplvalidation.test_invalid_template_version", None),
    "test_import_invalid_template_version.yaml": (
        FAIL, "test_toscatplvalidation.test_import_invalid_template_version", None),
    "test_import_metadata.yml": (PASS, "test_toscatplvalidation.test_import_template_metadata", None),
    "test_credential_datatype.yaml": (PASS, "test_toscatplvalidation.test_credential_datatype", None),
    "test_invalid_input_defaults.yaml": (FAIL, "test_toscatplvalidation.test_invalid_default_value", None),
    "test_normative_type_properties_override.yaml": (
        PASS, "test_toscatplvalidation.test_properties_override_with_flavor_and_image", None),
    "test_long_rel.yaml": (PASS, "test_toscatplvalidation.test_long_rel", None),
    "test_scalar_unit_without_unit.yaml": (FAIL, "test_toscatplvalidation.test_scalar_unit_without_unit", None),
    "test_template_without_requirement.yaml": (
        FAIL, "test_toscatplvalidation.test_template_without_requirement", None),
    # test_functions.py
    "functions/test_unknown_capability_property.yaml": (
        FAIL, "test_functions.IntrinsicFunctionsTest.test_unknown_capability_property", None),
    "functions/test_unknown_input_in_property.yaml": (
        FAIL, "test_functions.IntrinsicFunctionsTest.test_get_input_validation", None),
    "functions/test_unknown_input_in_interface.yaml": (
        FAIL, "test_functions.IntrinsicFunctionsTest.test_get_input_validation", None),
    "functions/test_invalid_function_signature.yaml": (
        FAIL, "test_functions.IntrinsicFunctionsTest.test_get_input_validation", None),
    "functions/test_get_property_with_host.yaml": (
        PASS, "test_functions.IntrinsicFunctionsTest.test_get_property_with_host", {"db_root_pwd": "123"}),
    "functions/tosca_nested_property_names_indexes.yaml": (
        PASS, "test_functions.IntrinsicFunctionsTest.test_get_property_with_nested_params", {"db_root_pwd": "1234"}),
    "functions/test_capabilties_inheritance.yaml": (
        PASS, "test_functions.IntrinsicFunctionsTest.test_get_property_with_capabilties_inheritance",
        {"db_root_pwd": "1234"}),
    "functions/test_get_property_source_target_keywords.yaml": (
        PASS, "test_functions.IntrinsicFunctionsTest.test_get_property_source_target_keywords",
        {"db_root_pwd": "1234"}),
    "functions/test_get_prop_cap_host.yaml": (PASS, "test_functions.IntrinsicFunctionsTest.test_get_prop_cap_host", None),
    "functions/test_get_prop_cap_bool.yaml": (PASS, "test_functions.IntrinsicFunctionsTest.test_get_prop_cap_bool", None),
    "functions/test_invalid_input.yaml": (FAIL, "test_functions.IntrinsicFunctionsTest.test_check_invalid_input", None),
    "functions/test_get_attribute_unknown_node_template_name.yaml": (
        FAIL, "test_functions.GetAttributeTest.test_get_attribute_unknown_node_template_name", GET_ATTRIBUTE_PARAMS),
    "functions/test_get_attribute_unknown_attribute_name.yaml": (
        FAIL, "test_functions.GetAttributeTest.test_get_attribute_unknown_attribute", GET_ATTRIBUTE_PARAMS),
    "functions/test_get_attribute_host_keyword.yaml": (
        PASS, "test_functions.GetAttributeTest.test_get_attribute_host_keyword", GET_ATTRIBUTE_PARAMS),
    "functions/test_get_attribute_host_not_found.yaml": (
        FAIL, "test_functions.GetAttributeTest.test_get_attribute_host_not_found", GET_ATTRIBUTE_PARAMS),
    "functions/test_get_attribute_illegal_host_in_outputs.yaml": (
        FAIL, "test_functions.GetAttributeTest.test_get_attribute_illegal_host_in_outputs", GET_ATTRIBUTE_PARAMS),
    "functions/test_get_attribute_with_index.yaml": (
        PASS, "test_functions.GetAttributeTest.test_get_attribute_with_index", GET_ATTRIBUTE_PARAMS),
    "functions/test_get_attribute_with_index_error.yaml": (
        FAIL, "test_functions.GetAttributeTest.test_get_attribute_with_index_error", GET_ATTRIBUTE_PARAMS),
    "functions/test_get_attribute_source_target_keywords.yaml": (
        PASS, "test_functions.GetAttributeTest.test_get_attribute_source_target_keywords",
        {"db_root_pwd": "12345678"}),
    "functions/test_get_attribute_with_nested_params.yaml": (
        PASS, "test_functions.GetAttributeTest.test_get_attribute_with_nested_params", GET_ATTRIBUTE_PARAMS),
    "functions/test_get_implicit_attribute.yaml": (
        PASS, "test_functions.GetAttributeTest.test_implicit_attribute", GET_ATTRIBUTE_PARAMS),
    "functions/test_container_cap_child.yaml": (
        PASS, "test_functions.GetAttributeTest.test_get_attribute_capability_inheritance", GET_ATTRIBUTE_PARAMS),
    "functions/test_get_attribute_custom_data_type.yaml": (
        PASS, "test_functions.GetAttributeTest.test_get_attribute_custom_data_type", GET_ATTRIBUTE_PARAMS),
    "functions/test_get_attribute_nested_data_types.yaml": (
        PASS, "test_functions.GetAttributeTest.test_get_attribute_neste_data_types", GET_ATTRIBUTE_PARAMS),
    "functions/test_concat.yaml": (PASS, "test_functions.ConcatTest.test_validate_concat", None),
    "functions/test_concat_invalid.yaml": (FAIL, "test_functions.ConcatTest.test_validate_concat", None),
    "functions/test_token.yaml": (PASS, "test_functions.TokenTest.test_validate_token", None),
    "functions/test_token_invalid.yaml": (FAIL, "test_functions.TokenTest.test_validate_token", None),
    # test_datatypes.py
    "datatypes/test_custom_datatypes_in_current_template.yaml": (
        PASS, "test_datatypes.test_datatype_in_current_template", None),
    "datatypes/test_custom_datatypes_positive.yaml": (PASS, "test_datatypes.test_datatype_in_template_positive", None),
    "datatypes/test_custom_datatypes_value_error.yaml": (
        FAIL, "test_datatypes.test_datatype_in_template_invalid_value", None),
    "datatypes/test_custom_datatypes_nested_datatype_error.yaml": (
        FAIL, "test_datatypes.test_datatype_in_template_nested_datatype_error", None),
    # test_topology_template.py (transactionsubsystem.yaml is only fed to
    # TopologyTemplate there, never to ToscaTemplate: no verdict to compare)
    "topology_template/system.yaml": (PASS, "test_topology_template.test_system_template", None),
    "topology_template/validate/system_invalid_input.yaml": (
        FAIL, "test_topology_template.test_system_with_input_validation", None),
    "topology_template/validate/queuingsubsystem_invalid_input.yaml": (
        FAIL, "test_topology_template.test_system_with_input_validation", None),
    "topology_template/validate/test_substitution_mappings_valid_output.yaml": (
        PASS, "test_topology_template.test_substitution_mappings_valid_output", None),
    "topology_template/validate/test_substitution_mappings_invalid_output.yaml": (
        FAIL, "test_topology_template.test_system_with_unknown_output_validation", None),
    "topology_template/validate/test_substitution_mappings_section.yaml": (
        PASS, "test_topology_template.test_substitution_mappings_with_substitution_filter", None),
    "topology_template/validate/test_substitution_mappings_error_node_filter.yaml": (
        FAIL, "test_topology_template.test_substitution_mappings_error_substitution_filter", None),
    "topology_template/validate/test_substitution_mappings_error_node_filter_key.yaml": (
        FAIL, "test_topology_template.test_substitution_mappings_error_node_filter", None),
    "topology_template/validate/test_substitution_mappings_error_property_type.yaml": (
        FAIL, "test_topology_template.test_substitution_mappings_error_properties", None),
    "topology_template/validate/test_substitution_mappings_error_capability_type.yaml": (
        FAIL, "test_topology_template.test_substitution_mappings_error_capabilities", None),
    # test_custom_relationships.py, test_tosca_nfv_tpl.py
    "relationship/test_custom_relationship.yaml": (PASS, "test_custom_relationships.CustomRelationshipTypesTest", None),
    "extensions/tosca_helloworld_nfv.yaml": (PASS, "test_tosca_nfv_tpl.ToscaNFVTemplateTest", None),
}

# file -> why our verdict differs from the upstream test's, on purpose
KNOWN_DISAGREEMENTS: dict[str, str] = {
    "test_template_without_requirement.yaml": (
        "a WebServer that assigns no host: TOSCA leaves an unassigned requirement to the orchestrator (TOSCA 1.3, "
        "3.8.2), so it is valid; tosca-parser refuses it. We warn (PT327), naming IM's refusal"),
    "tosca_elk.yaml": (
        "custom_types/logstash.yaml imports 'data/custom_types/elasticsearch.yaml'; tosca-parser finds it only by "
        "a hack (the importer's folder ends with 'data/custom_types', so it drops that prefix). We resolve relative "
        "to the importing file, as TOSCA says, and report PT200"),
    "test_instance_nested_imports.yaml": (
        "custom_types/nested_test_kibana.yaml imports 'custom_types/kibana.yaml' (and nested_test_wordpress.yaml "
        "'custom_types/nested_rsyslog.yaml'): tosca-parser finds them relative to the working directory or by the "
        "folder-suffix hack; relative to the importing file they do not exist: PT200"),
    "repositories/tosca_repositories_test_definition.yaml": (
        "its import is fetched from raw.githubusercontent.com (the upstream test needs the network); we validate "
        "offline and report PT201"),
    # Our own rules are stricter than tosca-parser here:
    "policies/test_tosca_nfv_multiple_policies.yaml": (
        "its import tacker_nfv_defs.yaml writes 'type' twice in one mapping (an 'entry_schema:' left empty, its "
        "'type' dedented), so YAML keeps 'type: tosca.nfv.datatypes.pathType' over 'type: list' without a word; "
        "we report the duplicate key (PT102)"),
    "test_capability_without_properties.yaml": (
        "it declares two capability types under node_types; tosca-parser pools every type section into one table "
        "and finds them anyway, we keep the kinds apart and report an unknown capability type (PT311) and a node "
        "type derived from tosca.capabilities.Root (PT310)"),
}


def _options(params: dict | None) -> LoadOptions:
    # Stands in for the upstream tests' urlopen mocks of https://example.com/custom_types/...
    import_map = ImportMap({"https://example.com/custom_types/": DATA / "custom_types"})
    return LoadOptions(policy=ImportPolicy(roots=[str(DATA)], import_map=import_map), inputs=params)


def our_verdict(relative: str, params: dict | None) -> tuple[str, list[str]]:
    report = validate(str(DATA / relative), _options(params))
    errors = [f"{d.rule} {d.file}:{d.line}: {d.message}" for d in report.errors]
    return (FAIL if errors else PASS), errors


pytestmark = [needs_corpus(), pytest.mark.corpus]


@pytest.mark.parametrize("relative", sorted(EXPECTED))
def test_sample_verdict_agrees_with_upstream(relative: str) -> None:
    expected, upstream, params = EXPECTED[relative]
    assert (DATA / relative).is_file(), f"{relative} is gone from the corpus"
    verdict, errors = our_verdict(relative, params)
    if relative in KNOWN_DISAGREEMENTS:
        assert verdict != expected, (
            f"{relative} is listed as a known disagreement ({KNOWN_DISAGREEMENTS[relative]}) "
            f"but we now agree with {upstream}: remove it from KNOWN_DISAGREEMENTS")
        return
    assert verdict == expected, (
        f"{relative}: upstream {upstream} says {expected}, we say {verdict}" + "".join(f"\n  {e}" for e in errors))


def test_known_disagreements_are_about_listed_files() -> None:
    assert set(KNOWN_DISAGREEMENTS) <= set(EXPECTED)
