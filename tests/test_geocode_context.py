"""The words around a name (geo.geocode with data/gazetteer/afg_place_context.csv).

A capital that shares its province's name (Kabul, Herat, Kunduz...) named bare is the
province; with an urban place beside it (a mosque, a crossroads, "the Hud Khel area") it is
the city. An office phrase joined to a province's name ("ساختمان ولایت تخار") is its capital.
Expected P-codes come from the real gazetteer by name, never typed from memory.
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from geo import settings
from geo.errors import InputError
from geo.gazetteer import CONTEXT_NOT, load_gazetteer
from geo.geocode import geocode_text
from geo.schema import PRECISION_DISTRICT, PRECISION_PROVINCE


@pytest.fixture(scope="module")
def gaz():
    return load_gazetteer()


def capital(gaz, province_name: str) -> str:
    """The capital district's P-code of the province named (looked up, not typed)."""
    return gaz.centre_of[gaz.province_code(province_name)]


def district(gaz, province_name: str, district_name: str) -> str:
    pc = gaz.province_code(province_name)
    return next(d for d, u in gaz.districts.items() if u.parent == pc and u.name == district_name)


@pytest.mark.parametrize(
    ("text", "province"),
    [
        ("a mosque in Herat", "Herat"),
        ("a passenger bus in Kabul", "Kabul"),
        ("near Kabul's second-largest mosque, Eid Gah", "Kabul"),
        ("the Pakistani embassy's yard (Kabul)", "Kabul"),
        ("a Taliban checkpoint near Baraki Square in Kabul", "Kabul"),
        ("a busy shopping street in Kabul", "Kabul"),
        ("the Sar-e Karez area (western Kabul)", "Kabul"),
        ("Karti Sakhi neighbourhood (western Kabul)", "Kabul"),
        ("the Hud Khel area of Kabul", "Kabul"),
        ("Jebrael area, Herat, near Farhang crossroads", "Herat"),
        ("w pobliżu drugiego co do wielkości meczetu w Kabulu, Eid Gah", "Kabul"),
        ("مسجدی در هرات", "Herat"),
        ("منطقه گولایی بندر خانآباد قندوز", "Kunduz"),
        ("منطقهی لبجر کابل", "Kabul"),
        ("په کابل کې یو جومات", "Kabul"),
        ("une mosquée à Kaboul", "Kabul"),
    ],
)
def test_a_capital_with_urban_context_is_the_city(text, province, gaz):
    r = geocode_text(text)
    assert r.geocode_status == "matched", r
    assert r.adm2_pcode == capital(gaz, province), r
    assert r.geo_precision == PRECISION_DISTRICT  # the city, not a point in it
    assert "read as the city" in r.geocode_note


@pytest.mark.parametrize(
    "text",
    [
        "Herat",
        "Kunduz",
        "Herat province",
        "a mosque in Kandahar province",
        "مسجد در ولایت هرات",
        "a checkpoint in Kunduz",  # checkpoints are on every road: not context
        "northern Kunduz",  # a direction names part of a province as often as part of a city
        "در غرب کابل",
        "the Kabul area",  # "area" needs a name of its own beside it
        "a remote area of Ghazni",
        "a market near Kandahar",  # near the city is not in it
        "Herat airport bus",  # a city's airport may lie outside the city's district
    ],
)
def test_a_bare_capital_or_province_stays_the_province(text, gaz):
    r = geocode_text(text)
    assert r.geocode_status == "matched" and r.adm2_pcode == "" and r.geo_precision == PRECISION_PROVINCE, r


def test_any_district_named_beats_the_urban_context(gaz):
    assert geocode_text("a mosque in Kabul's Paghman district").adm2_pcode == district(gaz, "Kabul", "Paghman")
    assert geocode_text("a mosque in Kabul, Surobi").adm2_pcode == district(gaz, "Kabul", "Surobi")


def test_a_village_outside_the_city_keeps_the_context_from_choosing_the_city(gaz):
    # Sang Hesar is an IEC village of Zheray (Kandahar): "area" does not make Kandahar the city.
    r = geocode_text("the Sangisar area of Kandahar")
    assert r.adm2_pcode != capital(gaz, "Kandahar"), r


def test_kabul_city_is_the_city_with_the_iec_spellings_loaded(gaz):
    # IEC spells the district "KABUL CITY": that spelling must not swallow the text's own "city".
    assert gaz.with_iec
    r = geocode_text("near the Barki traffic intersection in Kabul city")
    assert r.adm2_pcode == capital(gaz, "Kabul") and "read as" not in r.geocode_note


@pytest.mark.parametrize(
    ("text", "province"),
    [
        ("چهارراهی مستوفیت در نزدیکی ساختمان ولایت تخار", "Takhar"),
        ("near the Takhar provincial building", "Takhar"),
        ("the provincial building of Kunduz", "Kunduz"),
        ("near the Faizabad provincial building", "Badakhshan"),  # only one Fayzabad is a capital
    ],
)
def test_a_provincial_office_is_in_the_capital(text, province, gaz):
    r = geocode_text(text)
    assert r.geocode_status == "matched" and r.adm2_pcode == capital(gaz, province), r


def test_an_office_in_a_province_stays_the_province():
    # "the Taliban governor's office in Kapisa province": the office is not joined to the name.
    r = geocode_text("دفتر والی طالبان در ولایت کاپیسا")
    assert (r.adm1_pcode, r.adm2_pcode) == (load_gazetteer().province_code("Kapisa"), "")


def test_a_police_zone_of_a_city():
    r = geocode_text("the 6th security zone of Kabul")
    assert r.adm2_pcode == load_gazetteer().centre_of["AF01"] and "police district 6" in r.geocode_note


def test_a_name_that_is_a_word_of_a_candidates_name_settles_it(gaz):
    # "Hesa Awal" is Kapisa's Hisa-e-Awal-e-Kohistan or Panjsher's Khenj; "Kohistan" picks the first
    # and is not read as Kohistan district of Badakhshan or Faryab.
    r = geocode_text("Qazikhil village of Hesa Awal district of Kohistan")
    assert r.geocode_status == "matched" and r.adm2_pcode == district(gaz, "Kapisa", "Hisa-e-Awal-e-Kohistan"), r
    assert "part of the name" in r.geocode_note


@pytest.mark.parametrize(
    ("text", "province", "name"),
    [
        ("the village of Kalalan in the first district of Kapisa province", "Kapisa", "Hisa-e-Awal-e-Kohistan"),
        ("the second district of Kapisa province", "Kapisa", "Hisa-e-Duwum-e-Kohistan"),
        ("the first district of Panjshir province", "Panjsher", "Khenj"),
    ],
)
def test_a_numbered_district_of_a_province_is_its_numbered_part(text, province, name, gaz):
    r = geocode_text(text)
    assert r.adm2_pcode == district(gaz, province, name), r


def test_a_numbered_district_of_a_province_without_parts_is_not_guessed(gaz):
    r = geocode_text("the first district of Takhar province")
    assert r.adm2_pcode == "" and r.adm1_pcode == gaz.province_code("Takhar"), r


@pytest.mark.parametrize("text", ["districts of Khenj and Anaba", "Shatl, Anaba, and Rukha districts of Panjshir"])
def test_a_list_of_districts_gives_the_province_with_candidates(text, gaz):
    r = geocode_text(text)
    assert r.geocode_status == "matched" and r.adm2_pcode == "" and r.adm1_pcode == gaz.province_code("Panjshir")
    assert district(gaz, "Panjsher", "Anawa") in r.geocode_candidates


def test_a_district_name_inside_a_village_name_does_not_beat_the_slot(tmp_path, monkeypatch):
    # Without the IEC folder "Nawamish" (a district created after 2018) is unknown; "Nawa" (the short
    # form of Nawa-e-Barakzaiy) inside the village's name must not become the district.
    shutil.copytree(settings.LOCAL_GAZETTEER_DIR, tmp_path / "gaz", ignore=shutil.ignore_patterns("iec"))
    monkeypatch.setenv(settings.GAZETTEER_ENV, str(tmp_path / "gaz"))
    from geo.geocode import _resolve

    r = _resolve("Nawa Mesh Bazaar, Nawamish, Helmand", None, None)
    assert (r.adm1_pcode, r.adm2_pcode) == ("AF30", "") and "part of the village name" in r.geocode_note
    assert _resolve("Sangin, Sangin, Helmand", None, None).adm2_pcode == "AF3008"


def test_context_phrases_are_data_with_reasons(gaz):
    table = pd.read_csv(settings.LOCAL_GAZETTEER_DIR / settings.PLACE_CONTEXT_FILE, dtype=str, keep_default_na=False)
    assert (table["reason"].str.strip() != "").all()
    loaded = {c.phrase for c in gaz.context}
    excluded = set(table.loc[table["reads"] == CONTEXT_NOT, "phrase"])
    assert excluded and not loaded & excluded
    for phrase in excluded:  # a word listed as not context never makes a capital the city
        r = geocode_text(f"{phrase} in Kunduz" if phrase.isascii() else f"{phrase} در کندز")
        assert r.adm2_pcode == "", (phrase, r)


def test_a_bad_context_row_names_the_line_and_field(tmp_path, monkeypatch):
    for f in settings.GAZETTEER_FILES:
        shutil.copy(settings.LOCAL_GAZETTEER_DIR / f, tmp_path / f)
    table = pd.read_csv(tmp_path / settings.PLACE_CONTEXT_FILE, dtype=str, keep_default_na=False)
    table.loc[2, "reads"] = "town"
    table.to_csv(tmp_path / settings.PLACE_CONTEXT_FILE, index=False)
    monkeypatch.setenv(settings.GAZETTEER_ENV, str(tmp_path))
    with pytest.raises(InputError, match=r"line 4: reads must be one of"):
        load_gazetteer()
    table.loc[2, "reads"] = "capital"  # a capital phrase needs X where the province's name goes
    table.to_csv(tmp_path / settings.PLACE_CONTEXT_FILE, index=False)
    with pytest.raises(InputError, match=r"line 4: a capital phrase needs exactly one X"):
        load_gazetteer()


def test_french_city_and_province_phrases(gaz):
    r = geocode_text('un poste de contrôle au carrefour "Mostofiat" dans la ville de Herat')
    assert r.adm2_pcode == capital(gaz, "Herat") and "read as" not in r.geocode_note  # "la ville de X" marks it
    r = geocode_text("la province d'Hérat")
    assert (r.adm1_pcode, r.adm2_pcode) == (gaz.province_code("Herat"), "")
