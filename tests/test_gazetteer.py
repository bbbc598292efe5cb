"""The name index over the real gazetteer files (geo.gazetteer)."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from geo import settings
from geo.errors import InputError
from geo.gazetteer import LEVELS, NAME_TABLE_COLUMNS, load_gazetteer, name_key, normalize_text, tokens
from geo.geocode import geocode_text


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


def _table(name: str) -> pd.DataFrame:
    return pd.read_csv(settings.LOCAL_GAZETTEER_DIR / name, dtype=str, keep_default_na=False)


def test_name_table_is_data_with_level_parents_and_reason(gaz):
    table = _table(settings.NAME_VARIANTS_FILE)
    assert tuple(table.columns) == NAME_TABLE_COLUMNS
    assert 150 <= len(table) <= 400  # a small hand-written table, not a second gazetteer
    assert set(table["level"]) <= set(LEVELS)
    assert (table["source"] != "").all() and (table["reason"] != "").all()
    for r in table.itertuples(index=False):
        assert r.adm1_pcode in gaz.provinces, r
        if r.level != "province":
            assert gaz.districts[r.adm2_pcode].parent == r.adm1_pcode, r
        hits = gaz.lookup(name_key(r.name))
        want = r.adm1_pcode if r.level == "province" else r.adm2_pcode
        assert any((e.adm2_pcode or e.adm1_pcode) == want for e in hits), r


def test_code_holds_no_spelling_tables():
    import geo.gazetteer as gz

    for gone in ("ALIASES", "NEIGHBOURHOODS", "PROVINCE_ALIASES", "WEAK_NAMES", "COMMON_WORD_PLACES"):
        assert not hasattr(gz, gone)


def test_name_rules_are_data(gaz):
    rules = _table(settings.NAME_RULES_FILE)
    assert set(rules["rule"]) == {"needs_marker", "not_a_place"} and (rules["reason"] != "").all()
    assert name_key("Sherzad") in gaz.weak_keys and name_key("Dara") in gaz.weak_keys
    assert not any(e.kind == "place" for e in gaz.lookup(name_key("Ghulam Ali")))


def test_a_bad_level_in_the_name_table_names_the_line(tmp_path, monkeypatch):
    for f in settings.GAZETTEER_FILES:
        shutil.copy(settings.LOCAL_GAZETTEER_DIR / f, tmp_path / f)
    table = _table(settings.NAME_VARIANTS_FILE)
    table.loc[3, "level"] = "hamlet"
    table.to_csv(tmp_path / settings.NAME_VARIANTS_FILE, index=False)
    monkeypatch.setenv(settings.GAZETTEER_ENV, str(tmp_path))
    with pytest.raises(InputError, match="line 5: level must be one of"):
        load_gazetteer()


def test_iec_settlements_and_district_spellings_are_indexed_with_parents(gaz):
    assert gaz.with_iec
    villages = [e for e in gaz.lookup(name_key("Farghamanj")) if e.kind == "place"]
    assert [(e.level, e.adm1_pcode, e.adm2_pcode, e.has_point) for e in villages] == [
        ("settlement", "AF17", "AF1710", False)
    ]
    assert any(e.level == "neighbourhood" and e.adm2_pcode == "AF0101" for e in gaz.lookup(name_key("Qalacha")))
    assert 8 in gaz.city_wards[name_key("Qalacha")]["AF0101"]  # KABUL CITY NAHIA 08
    # IEC district spellings, and districts created after 2018 inside a 2018 district.
    assert {e.adm2_pcode for e in gaz.lookup(name_key("CHARBOLAK")) if e.kind == "district"} == {"AF2111"}
    assert {e.adm2_pcode for e in gaz.lookup(name_key("Dand")) if e.kind == "district"} == {"AF2701"}
    # A bracketed province name is not read as the district's name ("SURUBI (KABUL)").
    assert not any(e.adm2_pcode == "AF0115" for e in gaz.lookup(name_key("Kabul")) if e.kind == "district")


def test_without_the_iec_folder_the_geocoder_still_works(tmp_path, monkeypatch):
    # data/gazetteer/iec/NOTICE.md promises that deleting the GPL-3.0 folder leaves a working geocoder.
    shutil.copytree(settings.LOCAL_GAZETTEER_DIR, tmp_path / "gaz", ignore=shutil.ignore_patterns("iec"))
    monkeypatch.setenv(settings.GAZETTEER_ENV, str(tmp_path / "gaz"))
    g = load_gazetteer()
    assert not g.with_iec and not g.city_wards
    assert not any(e.source.startswith("IEC") for es in g.index.values() for e in es)
    from geo.geocode import _resolve

    assert _resolve("Shotul district in Panjshir", None, None).adm2_pcode == "AF0806"
    assert _resolve("Gardi, Sherzad, Nangarhar", None, None).adm2_pcode == "AF0619"
    assert _resolve("Sangar, Trinkot, Uruzgan", None, None).adm2_pcode == "AF2501"
    village = _resolve("Farghamanj, Badakhshan", None, None)  # villages are then unknown
    assert (village.adm1_pcode, village.adm2_pcode) == ("AF17", "")


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


def test_every_site_and_neighbourhood_of_the_variants_table_is_found_alone():
    """A landmark row ("Sardar Mohammad Daud Khan Hospital", "Intercontinental Hotel") read alone gives its district."""
    table = pd.read_csv(settings.gazetteer_dir() / "afg_name_variants.csv", dtype=str, keep_default_na=False)
    places = table[table["level"].isin(["site", "neighbourhood"])]
    assert len(places) == 83
    missed = [
        (row.name, row.adm2_pcode, geocode_text(row.name).adm2_pcode)
        for row in places.itertuples()
        if geocode_text(row.name).adm2_pcode != row.adm2_pcode
    ]
    assert missed == []
