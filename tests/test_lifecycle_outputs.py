"""A deployment's outputs: what the compiler left symbolic, finished with
what the deployed VMs tell, by the same evaluator the compiler uses."""

from __future__ import annotations

from primage_tosca.lifecycle import resolve_outputs

FRONT = {"id": "0", "node": "front", "addresses": [{"ip": "127.0.5.5", "public": False},
                                                     {"ip": "127.0.0.9", "public": True}]}
WN = [{"id": str(i), "node": "wn", "addresses": [{"ip": f"127.0.6.{i}", "public": False}]} for i in (1, 2)]


def outputs(**values):
    return {name: {"value": value} for name, value in values.items()}


def test_addresses_of_one_vm():
    found = resolve_outputs(outputs(public={"get_attribute": ["front", "public_address"]},
                                    private={"get_attribute": ["front", "private_address"]},
                                    ip={"get_attribute": ["front", "ip_address"]},
                                    ident={"get_attribute": ["front", "tosca_id"]},
                                    name={"get_attribute": ["front", "tosca_name"]}), [FRONT], "inf-1")
    assert found == {"public": "127.0.0.9", "private": "127.0.5.5", "ip": "127.0.5.5", "ident": "inf-1/0",
                     "name": "front"}


def test_a_url_around_an_address_and_an_index():
    url = {"concat": ["https://", {"get_attribute": ["front", "public_address", 0]}, ":6443"]}
    found = resolve_outputs(outputs(url=url), [FRONT], "inf-1")
    assert found == {"url": "https://127.0.0.9:6443"}


def test_several_vms_of_a_node_give_a_list_and_an_index_picks_one():
    found = resolve_outputs(outputs(all={"get_attribute": ["wn", "private_address"]},
                                    second={"get_attribute": ["wn", "private_address", 1]},
                                    beyond={"get_attribute": ["wn", "private_address", 5]},
                                    joined={"join": [{"get_attribute": ["wn", "private_address"]}, ","]}),
                            WN, "inf")
    assert found == {"all": ["127.0.6.1", "127.0.6.2"], "second": "127.0.6.2", "beyond": None,
                     "joined": "127.0.6.1,127.0.6.2"}


def test_what_is_not_known_yet_is_none_and_plain_values_stay():
    found = resolve_outputs(outputs(public={"get_attribute": ["wn", "public_address"]},
                                    url={"concat": ["http://", {"get_attribute": ["wn", "public_address"]}]},
                                    gone={"get_attribute": ["nothing", "public_address"]},
                                    other={"get_attribute": ["front", "state"]},
                                    plain="fixed at compile time", number=3, nested={"a": [1, 2]}),
                            [FRONT, *WN], "inf")
    assert found == {"public": None, "url": None, "gone": None, "other": None,
                     "plain": "fixed at compile time", "number": 3, "nested": {"a": [1, 2]}}


def test_a_token_of_a_run_time_value():
    found = resolve_outputs(outputs(octet={"token": [{"get_attribute": ["front", "private_address"]}, ".", 3]}),
                            [FRONT], "inf")
    assert found == {"octet": "5"}
