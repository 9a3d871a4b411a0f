"""The deployment mark in a RADL payload: IM accepts one description block only."""

from radl.radl_parse import parse_radl

from primage_tosca.lifecycle import mark_radl

SYSTEM = "network public (outbound = 'yes')\nsystem vm (\ncpu.count >= 1 and\nnet_interface.0.connection = 'public'\n)\n"


def test_the_mark_becomes_the_description_when_there_is_none():
    marked = mark_radl(SYSTEM, "abc123")
    parsed = parse_radl(marked)
    parsed.check()
    assert "abc123" in str(parsed.description)


def test_the_mark_joins_an_existing_description():
    radl = "description desc (\nname = 'cluster'\n)\n\n" + SYSTEM
    marked = mark_radl(radl, "abc123")
    assert marked.count("description ") == 1
    parsed = parse_radl(marked)
    parsed.check()
    assert "abc123" in str(parsed.description) and "cluster" in str(parsed.description)
