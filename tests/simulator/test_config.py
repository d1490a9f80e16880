"""Config parsing: topology values in either spelling, and refusals that list the values as users write them."""

import pytest

from simulator.config import TOPOLOGIES, Config


@pytest.mark.parametrize("canonical", TOPOLOGIES)
def test_topology_accepts_hyphens_and_underscores(canonical):
    hyphens = canonical.replace("_", "-")
    for text in (canonical, hyphens, hyphens.upper(), f" {hyphens} "):
        config = Config().with_text("topology", text)
        assert config.topology == canonical
        assert config == Config(topology=canonical)  # the same config, whatever the spelling
    assert Config(topology=hyphens).topology == canonical
    assert Config.from_dict({"topology": hyphens}).score == ("last" if canonical == "many_to_one" else "all")


def test_a_wrong_topology_lists_the_values_with_hyphens():
    with pytest.raises(ValueError) as info:
        Config().with_text("topology", "few-to-few")
    assert str(info.value) == "topology must be one of many-to-many, many-to-one, one-to-many; got 'few-to-few'"
