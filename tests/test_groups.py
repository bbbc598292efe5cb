"""Group names: aliases in English, Dari, Pashto and Arabic map to canonical codes."""

import pytest

from geo.groups import GROUP_COLORS, GROUP_LABELS, GROUPS, group_actor_name, normalize_group


@pytest.mark.parametrize(
    ("name", "group"),
    [
        ("NRF", "NRF"),
        ("#NRF", "NRF"),
        ("National Resistance Front", "NRF"),
        ("National Resistance Front (#NRF) Militants", "NRF"),
        ("NRF: National Resistance Front", "NRF"),
        ("جبهه مقاومت ملی", "NRF"),
        ("جبهه‌ی مقاومت ملی افغانستان", "NRF"),
        ("Afghanistan Freedom Front", "AFF"),
        ("جبهه آزادی افغانستان", "AFF"),
        ("ISIS-K", "ISKP"),
        ("Islamic State Khorasan Province", "ISKP"),
        ("داعش", "ISKP"),
        ("Taliban", "Taliban/IEA"),
        ("Other:National Azadagan Front", "Other"),
        ("Other:Unidentified gunmen", "Unknown"),
        ("Some New Front", "Other"),
        ("", "Unknown"),
        (None, "Unknown"),
    ],
)
def test_normalize_group(name, group):
    assert normalize_group(name) == group


def test_every_group_has_a_label_and_a_colour():
    assert set(GROUP_LABELS) == set(GROUPS) == set(GROUP_COLORS)


def test_actor_name_keeps_the_name_as_reported():
    assert group_actor_name("Other:Andarab Public Resistance Forces") == "Andarab Public Resistance Forces"
    assert group_actor_name("NRF") == "National Resistance Front"
