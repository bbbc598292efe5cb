"""Filters, links and the CLI accept the common spellings of a province (issue 11), on the bundled events."""

from __future__ import annotations

import json

import pytest

from geo.cli import main
from geo.display import unit_label
from geo.errors import FilterError
from geo.events import load_events
from geo.filters import Filters, apply_filters
from geo.viewstate import filter_options, parse_query_params


@pytest.mark.parametrize(
    "spelling,pcode",
    [
        ("Herat", "AF32"),
        ("Hirat", "AF32"),
        ("herat", "AF32"),
        ("Panjshir", "AF08"),
        ("Panjsher", "AF08"),
        ("Helmand", "AF30"),
        ("Hilmand", "AF30"),
        ("Kunduz", "AF19"),
        ("هرات", "AF32"),
        ("AF32", "AF32"),
        ("af08", "AF08"),
    ],
)
def test_filters_take_common_spellings(spelling, pcode):
    assert Filters(provinces=(spelling,)).provinces == (pcode,)


def test_unknown_province_is_a_filter_error_naming_it():
    with pytest.raises(FilterError, match="Narnia"):
        Filters(provinces=("Narnia",))


def test_filter_by_common_name_selects_the_same_events_as_the_pcode():
    events = load_events()
    by_name = apply_filters(events, Filters(provinces=("Herat", "Panjshir")))
    by_code = apply_filters(events, Filters(provinces=("AF32", "AF08")))
    assert len(by_name) == len(by_code) > 0
    assert set(by_name["adm1_pcode"]) == {"AF32", "AF08"}


def test_link_takes_common_spellings():
    options = filter_options(load_events())
    view, warnings = parse_query_params({"province": ["Herat", "Panjshir"]}, options)
    assert view.filters.provinces == ("AF08", "AF32") and not warnings


def test_cli_province_takes_common_spellings(capsys):
    assert main(["summary", "--province", "Herat"]) == 0
    by_name = json.loads(capsys.readouterr().out)
    assert main(["summary", "--province", "AF32"]) == 0
    by_code = json.loads(capsys.readouterr().out)
    assert by_name["events"] == by_code["events"] > 0 and by_name["provinces"] == 1


def test_app_labels_show_the_common_name_with_the_ocha_one():
    assert unit_label("AF32", "Hirat") == "Herat (Hirat)" and unit_label("AF09", "Baghlan") == "Baghlan"
