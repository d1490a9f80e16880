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


@pytest.mark.parametrize(
    ("key", "text", "message"),
    [
        ("seed", "99999999999999999999", "seed must be between 0 and 2147483647; got 99999999999999999999"),
        ("steps", "99999999999999999999", "steps must be between 1 and 1000"),
        ("hidden", "-99999999999999999999", "hidden must be between 1 and"),
        ("wrec", "1e400", "wrec must be between 0 and 10; got inf"),
    ],
)
def test_numbers_beyond_any_machine_type_are_refused_with_the_range(key, text, message):
    """A 20-digit integer is beyond int64: it is refused by range like any other, not by a numpy TypeError."""
    with pytest.raises(ValueError, match=message):
        Config().with_text(key, text)
