"""The name index over the real gazetteer files (geo.gazetteer)."""

from __future__ import annotations

import pandas as pd
import pytest

from geo import settings
from geo.errors import InputError
from geo.gazetteer import ALIASES, NEIGHBOURHOODS, load_gazetteer, name_key, normalize_text, tokens


@pytest.fixture(scope="module")
def gaz():
    return load_gazetteer()


def test_loaded_once_per_process(gaz):
    assert load_gazetteer() is gaz


def test_all_units_loaded(gaz):
    assert len(gaz.provinces) == settings.N_PROVINCES
    assert len(gaz.districts) == settings.N_DISTRICTS
    assert set(gaz.centre_of) == set(gaz.provinces)  # every province has a capital district
    assert gaz.centre_of["AF01"] == "AF0101" and gaz.centre_of["AF32"] == "AF3201"


def test_label_points_come_from_the_admin_units_file(gaz):
    units = pd.read_csv(settings.gazetteer_dir() / settings.ADMIN_UNITS_FILE, dtype={"pcode": str})
    row = units.set_index("pcode").loc["AF0804"]
    assert (gaz.districts["AF0804"].lat, gaz.districts["AF0804"].lon) == (row["label_lat"], row["label_lon"])


@pytest.mark.parametrize(
    "a,b",
    [
        ("كابل", "کابل"),  # Arabic kaf / Persian kaf
        ("هرات", "هرات"),
        ("ولاية", "ولایه"),  # ta marbuta, Arabic yeh
        ("جبل‌السراج", "جبلالسراج"),  # ZWNJ
        ("کابـــل", "کابل"),  # tatweel
        ("کَابُل", "کابل"),  # diacritics
        ("ناحیه ۱۵", "ناحیه 15"),  # Persian digits
        ("ناحیه ١٥", "ناحیه 15"),  # Arabic-Indic digits
        ("Pul-e Ḩişār", "pul e hisar"),  # Latin accents, hyphens
        ("Kabul’s", "kabuls"),
    ],
)
def test_normalize_text(a, b):
    assert normalize_text(a) == normalize_text(b)


@pytest.mark.parametrize(
    "variants",
    [
        ["Panjshir", "Panjsher", "Panjsheer", "PANJSHIR"],
        ["Herat", "Hirat"],
        ["Faizabad", "Fayzabad"],
        ["Khinj", "Khenj"],
        ["Shotul", "Shutul"],
        ["Khost wa Fereng", "Khost-o-Firing", "Khost and Fereng", "Khost o Fereng"],
        ["Jabal Saraj", "Jabal-us-Saraj", "Jabal os Saraj"],
        ["Pul-e-Hisar", "Pol-e-Hesar", "Pul-i-Hisar", "Pule Hisar"],
        ["Mazar-e-Sharif", "Mazari Sharif", "Mazar-i-Sharif"],
        ["Tala wa Barfak", "Tala-o-Barfak"],
        ["فیض آباد", "فیضآباد", "فيض آباد"],
        ["پل حصار", "پلحصار"],
        ["خوست و فرنگ", "خوست وفرنگ"],
        ["قندهار", "کندهار", "كندهار"],
        ["پنجشیر", "بنجشير"],  # Arabic writes پ as ب
    ],
)
def test_name_key_folds_variants(variants):
    keys = {name_key(v) for v in variants}
    assert len(keys) == 1, keys


@pytest.mark.parametrize("a,b", [("Bagram", "Bagrami"), ("Khinjan", "Khenj"), ("Kabul", "Kapisa"), ("Nawa", "Nawur")])
def test_name_key_keeps_different_names_apart(a, b):
    assert name_key(a) != name_key(b)


def test_tokens_drop_punctuation():
    assert tokens("Pol-e-Hesar, Baghlan") == ["pol", "e", "hesar", "baghlan"]


def test_every_alias_points_to_a_real_district_and_resolves(gaz):
    assert 30 <= len(ALIASES) <= 150  # a small hand-written table, not a second gazetteer
    for spelling, pcode in ALIASES.items():
        assert pcode in gaz.districts, (spelling, pcode)
        hits = {e.adm2_pcode for e in gaz.lookup(name_key(spelling)) if e.kind == "district"}
        assert pcode in hits, (spelling, pcode, hits)


def test_every_neighbourhood_is_in_a_real_district(gaz):
    for spelling, pcode in NEIGHBOURHOODS.items():
        assert pcode in gaz.districts
        assert any(e.source == "neighbourhood" and e.adm2_pcode == pcode for e in gaz.lookup(name_key(spelling)))


def test_repeated_district_names_keep_both_units(gaz):
    # SOURCES.md: 11 district names occur twice in different provinces.
    repeated = [
        "Arghandab",
        "Baharak",
        "Dawlat Abad",
        "Fayzabad",
        "Jaghatu",
        "Jani Khel",
        "Kohistan",
        "Muqur",
        "Qara Bagh",
        "Surobi",
        "Tagab",
    ]
    for name in repeated:
        provinces = {e.adm1_pcode for e in gaz.lookup(name_key(name)) if e.kind == "district"}
        assert len(provinces) == 2, (name, provinces)


def test_geonames_office_names_are_not_indexed(gaz):
    # "ولسوالی بگرام" is a GeoNames alternate name of the village Ghulam Ali: it must not
    # swallow the district marker of "ولسوالی بگرام".
    assert not any(e.kind == "place" for e in gaz.lookup(name_key("ولسوالی بگرام")))


def test_missing_gazetteer_folder_is_an_input_error(tmp_path, monkeypatch):
    monkeypatch.setenv(settings.GAZETTEER_ENV, str(tmp_path))
    with pytest.raises(InputError, match=settings.ADMIN_UNITS_FILE):
        load_gazetteer()
