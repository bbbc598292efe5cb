"""The geocoder on the real gazetteer and boundaries (geo.geocode).

Expected P-codes are looked up from the real boundary files by their AGCHO names
(``code("Panjsher", "Khenj")``), never typed from memory.
"""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest

from geo.boundaries import load_districts, load_provinces
from geo.errors import InputError
from geo.gazetteer import load_gazetteer
from geo.geocode import GeocodeResult, geocode, geocode_text
from geo.schema import GEOCODE_COLUMNS, PRECISION_DISTRICT, PRECISION_PLACE, PRECISION_PROVINCE


@pytest.fixture(scope="module")
def names():
    p = load_provinces()
    d = load_districts()
    prov = dict(zip(p["name_en"], p["pcode"], strict=False))
    dist = {(a, b): c for a, b, c in zip(d["adm1_name_en"], d["name_en"], d["pcode"], strict=False)}
    return prov, dist


def code(names, province, district=None):
    prov, dist = names
    return dist[(province, district)] if district else prov[province]


def assert_district(r: GeocodeResult, names, province, district):
    assert r.geocode_status == "matched", r
    assert r.adm1_pcode == code(names, province), r
    assert r.adm2_pcode == code(names, province, district), r
    assert r.admin1 == province and r.admin2 == district
    assert r.geo_precision in (PRECISION_PLACE, PRECISION_DISTRICT)
    assert not math.isnan(r.latitude) and not math.isnan(r.longitude)


def assert_province(r: GeocodeResult, names, province):
    assert r.geocode_status == "matched", r
    assert r.adm1_pcode == code(names, province), r
    assert r.adm2_pcode == "" and r.admin2 == ""
    assert r.geo_precision == PRECISION_PROVINCE
    unit = load_gazetteer().provinces[r.adm1_pcode]
    assert (r.latitude, r.longitude) == (unit.lat, unit.lon)  # the province's label point


# --- transliteration variants (the list) ---------------------------------------------


@pytest.mark.parametrize("text", ["Panjshir", "Panjsher", "Panjsheer", "پنجشیر", "ولاية بنجشير"])
def test_panjshir_variants_are_the_province(text, names):
    assert_province(geocode_text(text), names, "Panjsher")


@pytest.mark.parametrize("text", ["Herat", "Hirat", "هرات"])
def test_herat_variants_are_the_province_not_the_city(text, names):
    r = geocode_text(text)
    assert_province(r, names, "Hirat")
    assert "shares the name" in r.geocode_note


@pytest.mark.parametrize("text", ["Faizabad", "Fayzabad", "فیض آباد", "فیضآباد"])
def test_faizabad_variants_are_ambiguous_with_both_candidates(text, names):
    r = geocode_text(text)
    assert r.geocode_status == "ambiguous"
    assert r.adm1_pcode == "" and r.adm2_pcode == ""
    assert code(names, "Badakhshan", "Fayzabad") in r.geocode_candidates
    assert code(names, "Jawzjan", "Fayzabad") in r.geocode_candidates


@pytest.mark.parametrize(
    "text,province,district",
    [
        ("Khinj", "Panjsher", "Khenj"),
        ("Khenj", "Panjsher", "Khenj"),
        ("Shotul", "Panjsher", "Shutul"),
        ("Shutul", "Panjsher", "Shutul"),
        ("Khost wa Fereng", "Baghlan", "Khost Wa Fereng"),
        ("Khost-o-Firing", "Baghlan", "Khost Wa Fereng"),
        ("خوست و فرنگ", "Baghlan", "Khost Wa Fereng"),
        ("Jabal Saraj", "Parwan", "Jabal Saraj"),
        ("Jabal-us-Saraj", "Parwan", "Jabal Saraj"),
        ("جبل‌السراج", "Parwan", "Jabal Saraj"),
        ("Pul-e-Hisar", "Baghlan", "Pul-e-Hisar"),
        ("Pol-e-Hesar", "Baghlan", "Pul-e-Hisar"),
        ("پل حصار", "Baghlan", "Pul-e-Hisar"),
        ("Taluqan", "Takhar", "Taloqan"),
        ("Chaharikar", "Parwan", "Charikar"),
        ("Mazari Sharif", "Balkh", "Mazar-e-Sharif"),
        ("Baghlani Jadid", "Baghlan", "Baghlan-e-Jadid"),
        ("Khanabad", "Kunduz", "Khan Abad"),
        ("Darai Nur district", "Nangarhar", "Dara-e-Nur"),
        ("Injil district", "Hirat", "Injil"),
        ("Rustaq", "Takhar", "Rostaq"),
        ("the Andarabs", "Baghlan", "Andarab"),
        ("Hesa Duwum district of Kapisa province", "Kapisa", "Hisa-e-Duwum-e-Kohistan"),
    ],
)
def test_district_spelling_variants(text, province, district, names):
    assert_district(geocode_text(text), names, province, district)


def test_alias_is_named_in_the_note():
    assert "alias 'Khinj'" not in geocode_text("Khenj").geocode_note
    r = geocode_text("Chaharikar")
    assert "alias 'Chaharikar'" in r.geocode_note and "Parwan" in r.geocode_note


# --- phrasings -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,province,district",
    [
        ("Shindand district of Herat province", "Hirat", "Shindand"),
        ("the Azizabad area of Shindand District, Herat Province", "Hirat", "Shindand"),
        ("Sangin district of Helmand province", "Hilmand", "Sangin"),
        ("Mazar-e-Sharif city", "Balkh", "Mazar-e-Sharif"),
        ("Kunduz city", "Kunduz", "Kunduz"),
        ("the city of Kandahar", "Kandahar", "Kandahar"),
        ("outskirts of Shindand", "Hirat", "Shindand"),
        ("the village of Kalalan in Nijrab district", "Kapisa", "Nijrab"),
        ("ولسوالی خنج ولایت پنجشیر", "Panjsher", "Khenj"),
        ("ولسوالی جبل‌السراج ولایت پروان", "Parwan", "Jabal Saraj"),
        ("شهرستان سیدخیل استان پروان", "Parwan", "Sayed Khel"),
        ("شهرستان حصهی اول استان کاپیسا", "Kapisa", "Hisa-e-Awal-e-Kohistan"),
        ("د بغلان ولایت د اندراب ولسوالۍ", "Baghlan", "Andarab"),
        ("د ننګرهار ولایت د اچین ولسوالۍ", "Nangarhar", "Achin"),
        ("د غور ولايت په مرکز فيروزکوه ښار کې", "Ghor", "Feroz Koh"),
        ("مديرية خواجه بهاء الدين بولاية تخار", "Takhar", "Khwaja Bahawuddin"),
        ("Charikar, capital of Parwan province", "Parwan", "Charikar"),
        ("مرکز ولایت تخار", "Takhar", "Taloqan"),
        ("the provincial capital Faizabad", "Badakhshan", "Fayzabad"),
        ("Herat City, Herat Province", "Hirat", "Hirat"),
        ("شهر کابل", "Kabul", "Kabul"),
    ],
)
def test_phrasings_to_district(text, province, district, names):
    assert_district(geocode_text(text), names, province, district)


@pytest.mark.parametrize(
    "text,province",
    [
        ("Panjshir province", "Panjsher"),
        ("the Panjshir province", "Panjsher"),
        ("دره آرزوی استان پنجشیر", "Panjsher"),
        ("منطقهی تتمدره ولایت پروان", "Parwan"),
        ("Kabul", "Kabul"),
        ("کابل", "Kabul"),
        ("Kunduz", "Kunduz"),
        ("قندز", "Kunduz"),
        ("Balkh", "Balkh"),  # also a district, not the capital: still the province when bare
        ("Khost", "Khost"),
        ("ولاية قندهار", "Kandahar"),
    ],
)
def test_phrasings_to_province(text, province, names):
    assert_province(geocode_text(text), names, province)


@pytest.mark.parametrize(
    "text,province,district",
    [
        ("outskirts of Kunduz city", "Kunduz", "Kunduz"),
        ("outskirts of Charikar city", "Parwan", "Charikar"),
        ("on the outskirts of Taloqan city", "Takhar", "Taloqan"),
        ("the outskirts of Pul-e-Khumri city", "Baghlan", "Pul-e-Khumri"),
    ],
)
def test_outskirts_of_a_city_give_the_citys_district(text, province, district, names):
    # The rule: "outskirts of X city" = X's district, at district precision (not the city's point).
    near = geocode_text(text)
    assert_district(near, names, province, district)
    assert near.geo_precision == PRECISION_DISTRICT and "outskirts" in near.geocode_note
    assert geocode_text(text.replace("outskirts of", "").strip()).geo_precision == PRECISION_PLACE


def test_outskirts_of_a_district_town_give_district_precision(names):
    r = geocode_text("outskirts of Shindand")
    assert_district(r, names, "Hirat", "Shindand")
    assert r.geo_precision == PRECISION_DISTRICT and "outskirts" in r.geocode_note


# --- city police districts -----------------------------------------------------------------


@pytest.mark.parametrize(
    "text,province,district",
    [
        ("PD-14, Herat City", "Hirat", "Hirat"),
        ("Ganj-e-Shalbafan Area, PD-14, Herat City", "Hirat", "Hirat"),
        ("Kabul's 15th district", "Kabul", "Kabul"),
        ("Herat city ... the 10th security district", "Hirat", "Hirat"),
        ("ناحیهی پانزدهم شهر کابل", "Kabul", "Kabul"),
        ("حوزه چهارم امنیتی شهر کابل", "Kabul", "Kabul"),
        ("ناحیه ۱۵ شهر کابل", "Kabul", "Kabul"),
        ("حوزهی پنجم امنیتی شهر کابل", "Kabul", "Kabul"),
        ("PD14 Kabul", "Kabul", "Kabul"),
        ("police district 7 of Kunduz city", "Kunduz", "Kunduz"),
        ("the fifth district of Mazar-e-Sharif city", "Balkh", "Mazar-e-Sharif"),
        ("ناحیه دوم شهر تالقان", "Takhar", "Taloqan"),
        ("حوزه اول امنیتی شهر پلخمری", "Baghlan", "Pul-e-Khumri"),
        ("district 15 of Kabul city", "Kabul", "Kabul"),
        ("پروان سوم از مربوطات حوزه چهارم شهر کابل", "Kabul", "Kabul"),  # "Parwan-e Sewom" is a Kabul neighbourhood
        ("د کابل ښار په شپږمه ناحیه کې", "Kabul", "Kabul"),  # Pashto: ordinal before ناحیه
        ("د هرات ښار په لسمه ناحیه کې", "Hirat", "Hirat"),
        ("د کندز ښار لومړۍ امنیتي حوزه", "Kunduz", "Kunduz"),
        ("الناحية الخامسة عشرة في كابول", "Kabul", "Kabul"),  # Arabic ordinals
        ("الدائرة الأمنية الرابعة في مدينة كابول", "Kabul", "Kabul"),
    ],
)
def test_police_districts_resolve_to_the_city_district(text, province, district, names):
    r = geocode_text(text)
    assert_district(r, names, province, district)
    assert "police district" in r.geocode_note


def test_police_district_number_is_read_from_ordinal_words():
    assert "police district 15 " in geocode_text("ناحیهی پانزدهم شهر کابل").geocode_note
    assert "police district 11 " in geocode_text("حوزه یازدهم امنیتی شهر کابل").geocode_note
    assert "police district 14 " in geocode_text("PD-14, Herat City").geocode_note
    assert "police district 15 " in geocode_text("the fifteenth district of Kabul city").geocode_note


def test_police_district_without_a_city_is_not_guessed():
    r = geocode_text("the 15th police district")
    assert r.geocode_status == "unresolved" and r.adm1_pcode == ""
    assert "without a city" in r.geocode_note


# --- repeated names and context ------------------------------------------------------------


def test_fayzabad_settled_by_province_in_text(names):
    assert_district(geocode_text("Fayzabad, Badakhshan"), names, "Badakhshan", "Fayzabad")
    assert_district(geocode_text("Fayzabad district, Jawzjan province"), names, "Jawzjan", "Fayzabad")


def test_fayzabad_settled_by_admin1_hint(names):
    assert_district(geocode_text("Fayzabad", admin1="Jawzjan"), names, "Jawzjan", "Fayzabad")
    assert_district(geocode_text("Fayzabad", admin1="بدخشان"), names, "Badakhshan", "Fayzabad")


def test_fayzabad_without_context_is_ambiguous_never_a_guess(names):
    r = geocode_text("Fayzabad")
    assert r.geocode_status == "ambiguous"
    assert r.geocode_candidates == (
        f"{code(names, 'Badakhshan', 'Fayzabad')} Fayzabad (Badakhshan); {code(names, 'Jawzjan', 'Fayzabad')} Fayzabad (Jawzjan)"
    )


@pytest.mark.parametrize(
    "text,province,district",
    [
        ("Baharak district, Takhar", "Takhar", "Baharak"),
        ("زندان ولسوالی بهارک در ولایت بدخشان", "Badakhshan", "Baharak"),
        ("Qarabagh district of Kabul province", "Kabul", "Qara Bagh"),
        ("Qarabagh district, Ghazni", "Ghazni", "Qara Bagh"),
        ("Surobi district of Kabul", "Kabul", "Surobi"),
        ("ولسوالی ارغنداب ولایت زابل", "Zabul", "Arghandab"),
        ("Arghandab district (Kandahar)", "Kandahar", "Arghandab"),
        ("Hesa-e Awal district, Kapisa", "Kapisa", "Hisa-e-Awal-e-Kohistan"),
        ("شهرستان حصهی اول استان پنجشیر", "Panjsher", "Khenj"),
    ],
)
def test_repeated_names_settled_by_context(text, province, district, names):
    assert_district(geocode_text(text), names, province, district)


@pytest.mark.parametrize("text", ["Baharak district", "Surobi", "Kohistan district", "Qarabagh", "حصه اول", "Muqur"])
def test_repeated_names_without_context_are_ambiguous(text):
    r = geocode_text(text)
    assert r.geocode_status == "ambiguous"
    assert len(r.geocode_candidates.split("; ")) == 2


def test_two_provinces_named_is_ambiguous(names):
    r = geocode_text("Nangarhar and Kunar")
    assert r.geocode_status == "ambiguous"
    assert r.geocode_candidates == f"{code(names, 'Nangarhar')} Nangarhar; {code(names, 'Kunar')} Kunar"


def test_district_contradicting_the_province_is_not_matched(names):
    r = geocode_text("Jalalabad, Kabul province")
    assert r.geocode_status == "ambiguous"
    assert code(names, "Nangarhar", "Jalalabad") in r.geocode_candidates


def test_admin2_hint_ucdp_style(names):
    r = geocode_text("", admin2="Qala-I- Naw district")
    assert_district(r, names, "Badghis", "Qala-e-Naw")
    assert_district(geocode_text("", admin2="Muqur district (Ghazni)"), names, "Ghazni", "Muqur")
    assert_district(geocode_text("", admin2="Nahri Sarraj district (Greshk)"), names, "Hilmand", "Nahr-e-Saraj")


def test_misspelt_district_beside_a_marker_is_matched_with_a_note(names):
    r = geocode_text("Sirkanay district")  # UCDP spelling of Sar Kani
    assert_district(r, names, "Kunar", "Sar Kani")
    assert "same consonants" in r.geocode_note or "close spelling" in r.geocode_note
    r = geocode_text("مديرية شينواري في ولاية ننكرهار")
    assert_district(r, names, "Nangarhar", "Shinwar")


def test_road_terminal_names_a_destination_not_the_place():
    # "Bandar-e Khan Abad" is the Khan Abad road terminal in Kunduz city, not Khan Abad district.
    # The terminal (بندر) and the roundabout (گولایی) are urban places: Kunduz is read as the city.
    r = geocode_text("منطقه گولایی بندر خانآباد قندوز")
    assert (r.adm2_pcode, r.geo_precision) == ("AF1901", 2) and "read as the city" in r.geocode_note


def test_institution_named_after_a_city_is_not_a_place(names):
    r = geocode_text("near a Kabul Bank branch in Kunduz city")
    assert_district(r, names, "Kunduz", "Kunduz")


# --- precision -----------------------------------------------------------------------------


def test_district_precision_uses_the_district_label_point(names):
    r = geocode_text("Shutul district")
    assert r.geo_precision == PRECISION_DISTRICT
    u = load_gazetteer().districts[r.adm2_pcode]
    assert (r.latitude, r.longitude) == (u.lat, u.lon)


def test_named_town_gives_place_precision_with_geonames_point():
    r = geocode_text("Jalalabad")
    assert r.geo_precision == PRECISION_PLACE
    gn = pd.read_csv(load_gazetteer_path() / "afg_geonames_cities500.csv")
    row = gn[gn["asciiname"] == "Jalalabad"].iloc[0]
    assert (r.latitude, r.longitude) == (row["latitude"], row["longitude"])


def load_gazetteer_path():
    from geo.settings import gazetteer_dir

    return gazetteer_dir()


# --- never drop a row, never raise on odd text ---------------------------------------------


@pytest.mark.parametrize("value", ["", "   ", None, float("nan"), pd.NA])
def test_empty_text_is_unresolved_with_a_note(value):
    r = geocode_text(value)
    assert r.geocode_status == "unresolved"
    assert r.geocode_note == "no place text"


def test_unknown_place_is_unresolved_with_a_note():
    r = geocode_text("Tehran")
    assert r.geocode_status == "unresolved" and "no province" in r.geocode_note


def test_missing_text_column_raises_input_error_naming_it():
    frame = pd.DataFrame({"place": ["Khinj"]})
    with pytest.raises(InputError, match=r"'location'.*available columns.*'place'"):
        geocode(frame)


def test_missing_coordinate_column_raises():
    frame = pd.DataFrame({"location": ["Khinj"], "lat": [35.0]})
    with pytest.raises(InputError, match="lon"):
        geocode(frame, lat_column="lat", lon_column="lon")


def test_frame_keeps_every_row_and_column_in_order():
    texts = ["Khinj", "", None, "Fayzabad", "Tehran", "PD-14, Herat City", "Khinj", "Panjshir province"]
    frame = pd.DataFrame(
        {"id": range(len(texts)), "location": texts, "extra": list("abcdefgh")}, index=[10, 11, 12, 13, 14, 15, 16, 17]
    )
    before = frame.copy()
    out = geocode(frame)
    pd.testing.assert_frame_equal(frame, before)  # input not mutated
    assert list(out.columns) == ["id", "location", "extra", *GEOCODE_COLUMNS]
    assert out.index.tolist() == frame.index.tolist()
    assert out["id"].tolist() == list(range(len(texts)))
    assert out["geocode_status"].tolist() == [
        "matched",
        "unresolved",
        "unresolved",
        "ambiguous",
        "unresolved",
        "matched",
        "matched",
        "matched",
    ]
    assert out["adm2_pcode"].tolist()[0] == out["adm2_pcode"].tolist()[6] != ""
    assert str(out["geo_precision"].dtype) == "Int64"
    assert out["geo_precision"].isna().tolist() == [False, True, True, True, True, False, False, False]


def test_clashing_input_columns_are_renamed_not_lost():
    frame = pd.DataFrame({"location": ["Khinj"], "latitude": ["35.6?"], "admin1": ["Panjshir"]})
    out = geocode(frame)
    assert out.loc[0, "input_latitude"] == "35.6?" and out.loc[0, "input_admin1"] == "Panjshir"
    assert out.loc[0, "admin1"] == "Panjsher"
    assert list(out.columns)[:3] == ["location", "input_latitude", "input_admin1"]


def test_empty_frame():
    out = geocode(pd.DataFrame({"location": pd.Series([], dtype=object)}))
    assert len(out) == 0 and list(out.columns) == ["location", *GEOCODE_COLUMNS]


def test_candidates_format():
    r = geocode_text("Arghandab")
    assert re.fullmatch(r"AF\d{4} [^;()]+ \([^;()]+\)(; AF\d{4} [^;()]+ \([^;()]+\))+", r.geocode_candidates)


def test_progress_bar_on_stderr(capsys):
    geocode(pd.DataFrame({"location": ["Khinj", "Herat"]}), progress=True)
    assert "geocoding" in capsys.readouterr().err


# --- coordinates ---------------------------------------------------------------------------


def _coords_frame(rows):
    return pd.DataFrame(rows, columns=["location", "lat", "lon"])


def test_coordinates_give_the_point_in_district(names):
    out = geocode(_coords_frame([("Bazarak", 35.31292, 69.51519)]), lat_column="lat", lon_column="lon")
    r = out.iloc[0]
    assert r["adm2_pcode"] == code(names, "Panjsher", "Bazarak") and r["geocode_status"] == "matched"
    assert r["geo_precision"] == PRECISION_PLACE
    assert (r["latitude"], r["longitude"]) == (35.31292, 69.51519)
    assert "FLAG" not in r["geocode_note"]


def test_names_disagreeing_with_coordinates_are_flagged_and_the_point_kept(names):
    # Text says Shindand (Hirat); the coordinates are Bazarak (Panjsher).
    out = geocode(_coords_frame([("Shindand district", 35.31292, 69.51519)]), lat_column="lat", lon_column="lon")
    r = out.iloc[0]
    assert r["adm2_pcode"] == code(names, "Panjsher", "Bazarak")
    assert "FLAG" in r["geocode_note"] and "disagree" in r["geocode_note"]
    assert r["geocode_candidates"] == f"{code(names, 'Hirat', 'Shindand')} Shindand (Hirat)"


def test_swapped_coordinates_are_corrected_with_a_note(names):
    out = geocode(_coords_frame([("", 69.17233, 34.52813)]), lat_column="lat", lon_column="lon")
    r = out.iloc[0]
    assert r["adm2_pcode"] == code(names, "Kabul", "Kabul")
    assert (r["latitude"], r["longitude"]) == (34.52813, 69.17233)
    assert "swapped" in r["geocode_note"]


def test_coordinates_written_in_the_text_place_the_event(names):
    # DEV-193 of the compiled reports gives its point in the text; a column's point wins over the text's.
    text = 'a "crowded area" in PD 1 [34.513841, 69.171748] ... among market stalls'
    frame = pd.DataFrame({"location": [text, text, "Bazarak [34.51, 69.17] or [35.31, 69.51]"],
                          "lat": [None, 35.31292, None], "lon": [None, 69.51519, None]})  # fmt: skip
    before = frame.copy()
    out = geocode(frame, lat_column="lat", lon_column="lon")
    assert out.loc[0, "adm2_pcode"] == code(names, "Kabul", "Kabul")
    assert (out.loc[0, "latitude"], out.loc[0, "longitude"]) == (34.513841, 69.171748)
    assert out.loc[0, "geo_precision"] == PRECISION_PLACE
    assert "coordinates written in the text" in out.loc[0, "geocode_note"]
    assert out.loc[1, "adm2_pcode"] == code(names, "Panjsher", "Bazarak")
    assert out.loc[2, "adm2_pcode"] == code(names, "Panjsher", "Bazarak")  # two points: the name decides
    assert "written in the text" not in out.loc[2, "geocode_note"]
    pd.testing.assert_frame_equal(frame, before)  # the input is not changed
    no_columns = geocode(frame[["location"]])
    assert no_columns.loc[1, "latitude"] == 34.513841


def test_nan_coordinates_fall_back_to_the_text(names):
    out = geocode(_coords_frame([("Khinj", float("nan"), None)]), lat_column="lat", lon_column="lon")
    assert out.loc[0, "adm2_pcode"] == code(names, "Panjsher", "Khenj")


def test_far_coordinates_fall_back_to_the_text_with_a_note(names):
    out = geocode(_coords_frame([("Khinj", 35.6892, 51.389)]), lat_column="lat", lon_column="lon")
    assert out.loc[0, "adm2_pcode"] == code(names, "Panjsher", "Khenj")
    assert "coordinates not used" in out.loc[0, "geocode_note"]
    assert "outside Afghanistan" in out.loc[0, "geocode_note"]


def test_coordinates_just_outside_are_snapped():
    out = geocode(_coords_frame([("", 37.3, 69.0)]), lat_column="lat", lon_column="lon")
    assert out.loc[0, "adm1_pcode"] == "AF19"
    assert "snapped" in out.loc[0, "geocode_note"]


# --- roads, lists, the capital -------------------------------------------------------------


def test_road_ends_are_context_not_the_place(names):
    assert_province(geocode_text("Kabul-Kandahar highway in Wardak"), names, "Maidan Wardak")
    assert_province(geocode_text("شاهراه کابل-قندهار در ولایت میدان وردک"), names, "Maidan Wardak")
    r = geocode_text("on the Kabul-Jalalabad highway in Surobi district")  # settles which Surobi
    assert_district(r, names, "Kabul", "Surobi")
    r = geocode_text("Kunduz-Baghlan highway")
    assert r.geocode_status == "ambiguous"
    assert r.geocode_candidates == f"{code(names, 'Baghlan')} Baghlan; {code(names, 'Kunduz')} Kunduz"


@pytest.mark.parametrize(
    ("text", "province", "district"),
    [
        # DEV-187 and DEV-010 of the compiled reports: the capital is where the road leads, not the place.
        (
            "in the southern city of Kandahar ... on a road leading to the national capital, Kabul",
            "Kandahar",
            "Kandahar",
        ),
        ("near an interchange for transport to and from the capital, Kabul (Jalalabad)", "Nangarhar", "Jalalabad"),
        ("Taliban convoy heading to Panjshir from Kabul city", "Kabul", "Kabul"),
    ],
)
def test_a_destination_is_context_not_the_place(text, province, district, names):
    r = geocode_text(text)
    assert_district(r, names, province, district)
    assert "destinations named" in r.geocode_note


def test_a_destination_alone_still_names_its_province(names):
    assert_province(geocode_text("on the road to Kabul"), names, "Kabul")
    assert_district(geocode_text("a convoy heading towards Taloqan"), names, "Takhar", "Taloqan")


@pytest.mark.parametrize("text", ["Shutul and Paryan districts of Panjshir", "ولسوالی‌های شتل و پریان پنجشیر"])
def test_two_districts_listed_give_the_province(text, names):
    r = geocode_text(text)
    assert_province(r, names, "Panjsher")
    assert code(names, "Panjsher", "Shutul") in r.geocode_candidates
    assert code(names, "Panjsher", "Paryan") in r.geocode_candidates


@pytest.mark.parametrize(
    "text",
    ["in the 13th district of the capital", "ناحیه سیزدهم پایتخت", "في العاصمة الأفغانية كابل", "in the capital"],
)
def test_the_capital_is_kabul_city(text, names):
    assert_district(geocode_text(text), names, "Kabul", "Kabul")


def test_the_provincial_capital_alone_is_not_kabul():
    assert geocode_text("the provincial capital").geocode_status == "unresolved"


def test_english_words_that_are_alternate_names_are_ignored(names):
    # "firing" is an OCHA alternative name (Fereng), "Taliban" is one letter from "Taleqan",
    # "said" and "March" are GeoNames places.
    r = geocode_text("Taliban district chief said the firing started in March in Shotul")
    assert_district(r, names, "Panjsher", "Shutul")
    assert geocode_text("the Taliban district governor").geocode_status == "unresolved"


@pytest.mark.parametrize("text", ["قراول طالبان", "لاش سه جنگجو", "خوش آمد", "commander Ghulam Ali"])
def test_village_names_that_are_common_words_are_not_places(text):
    assert geocode_text(text).geocode_status == "unresolved"


def test_person_named_like_a_village_does_not_move_the_answer(names):
    assert_district(geocode_text("commander Ghulam Ali was killed in Nahrin district"), names, "Baghlan", "Nahrin")


def test_tribal_surnames_need_a_district_marker(names):
    assert_district(geocode_text("Abdul Ghani Kakar was killed in Qalat"), names, "Zabul", "Qalat")
    assert_district(geocode_text("Kakar district, Zabul"), names, "Zabul", "Kakar")
    assert geocode_text("Sayed Ahmad Shinwari").geocode_status == "unresolved"


@pytest.mark.parametrize(
    "text",
    ["the ministry headquarters on the airport road in Kabul", "outside the Ministry of Refugees", "وزارت داخله"],
)
def test_a_national_ministry_is_in_kabul_city(text, names):
    assert_district(geocode_text(text), names, "Kabul", "Kabul")


def test_a_ministry_office_elsewhere_stays_elsewhere(names):
    assert_district(geocode_text("the Ministry of Defence office in Herat city"), names, "Hirat", "Hirat")


@pytest.mark.parametrize(
    "text", ["rockets hit Kabul Airport", "میدان هوایی کابل", "Hamid Karzai International Airport"]
)
def test_kabul_airport_is_in_the_kabul_district(text, names):
    r = geocode_text(text)
    assert_district(r, names, "Kabul", "Kabul")


@pytest.mark.parametrize("text", ["در کابل، پایتخت افغانستان", "Kabul, the capital"])
def test_the_capital_marks_a_bare_kabul_as_the_city(text, names):
    assert_district(geocode_text(text), names, "Kabul", "Kabul")


def test_distance_from_the_capital_does_not_move_the_place(names):
    assert_district(geocode_text("Jalalabad, 150 km east of the capital"), names, "Nangarhar", "Jalalabad")


def test_short_form_shared_with_another_district_needs_context(names):
    # "Nawa" is the Ghazni district, and the usual short form of Nawa-e-Barakzaiy (Hilmand).
    r = geocode_text("Nawa")
    assert r.geocode_status == "ambiguous"
    assert code(names, "Ghazni", "Nawa") in r.geocode_candidates
    assert code(names, "Hilmand", "Nawa-e-Barakzaiy") in r.geocode_candidates
    assert_district(geocode_text("Nawa district, Helmand"), names, "Hilmand", "Nawa-e-Barakzaiy")
    assert_district(geocode_text("Nawa district of Ghazni"), names, "Ghazni", "Nawa")


@pytest.mark.parametrize(
    "text",
    [
        "Afghan Defence Ministry says 216 opponents killed",
        "50 km north of the capital",
        "Taliban said the capital was calm",
    ],
)
def test_ministry_or_capital_as_speaker_or_distance_is_not_a_place(text):
    assert geocode_text(text).geocode_status == "unresolved"


def test_every_district_in_every_phrasing(names):
    # All 399 districts, by their AGCHO English and Dari names, in the report phrasings.
    g = load_gazetteer()
    misses = []
    for d, u in g.districts.items():
        p = g.provinces[u.parent]
        dari = re.sub(r"\([^)]*\)", "", u.name_da).strip()
        for text in (
            f"{u.name} district of {p.name} province",
            f"ولسوالی {dari} ولایت {p.name_da}",
            f"شهرستان {dari} استان {p.name_da}",
            f"د {p.name_da} ولایت د {dari} ولسوالۍ",
            f"مديرية {dari} بولاية {p.name_da}",
        ):
            if geocode_text(text).adm2_pcode != d:
                misses.append(text)
    assert misses == []


@pytest.mark.parametrize(
    "text,province",
    [
        ("ولایت وردک", "Maidan Wardak"),
        ("ولایت کنر", "Kunar"),
        ("ولاية كونار", "Kunar"),
        ("ولاية سمنجان", "Samangan"),  # Arabic writes گ as ج
        ("ولاية ننغرهار", "Nangarhar"),  # ... or as غ
        ("ولاية لوغار", "Logar"),
        ("ولاية قندوز", "Kunduz"),
        ("ولاية هراة", "Hirat"),
        ("ولایت روزگان", "Uruzgan"),
    ],
)
def test_province_spellings_in_dari_pashto_arabic(text, province, names):
    assert_province(geocode_text(text), names, province)


def test_behsud_is_settled_by_province_or_left_at_province(names):
    assert geocode_text("Behsud").geocode_status == "ambiguous"
    assert_district(geocode_text("Behsud district, Nangarhar"), names, "Nangarhar", "Behsud")
    r = geocode_text("Behsud district, Wardak")  # Wardak has two Behsud districts
    assert_province(r, names, "Maidan Wardak")


@pytest.mark.parametrize("text", ["حمله سنگین", "چوکی امنیتی طالبان", "نوزاد"])
def test_dari_words_that_are_district_names_need_a_marker(text):
    assert geocode_text(text).geocode_status == "unresolved"


def test_weak_names_with_a_city_marker(names):
    assert_district(geocode_text("شهر نیلی"), names, "Daykundi", "Nili")
    assert_district(geocode_text("ولسوالی سنگین"), names, "Hilmand", "Sangin")


@pytest.mark.parametrize(
    "text,province", [("Herat airport", "Hirat"), ("Kandahar airport", "Kandahar"), ("Mazar airport", "Balkh")]
)
def test_a_city_airport_gives_the_province(text, province, names):
    r = geocode_text(text)
    assert_province(r, names, province)
    assert "airport" in r.geocode_note


def test_places_named_as_ends_between_are_context(names):
    r = geocode_text("on the road between Pul-e-Khumri and Kunduz")
    assert r.geocode_status == "ambiguous"
    assert r.geocode_candidates == f"{code(names, 'Baghlan')} Baghlan; {code(names, 'Kunduz')} Kunduz"


def test_city_named_for_a_province_whose_capital_has_another_name_gives_the_province(names):
    # "Baghlan city" names the town of Baghlan (Baghlan-e-Jadid); "شهر بغلان" has no such town
    # in the gazetteer and may mean Pul-e-Khumri: the province only.
    assert_district(geocode_text("Baghlan city"), names, "Baghlan", "Baghlan-e-Jadid")
    assert_province(geocode_text("شهر بغلان"), names, "Baghlan")
    assert_province(geocode_text("Kapisa city"), names, "Kapisa")
    assert_district(geocode_text("مرکز کاپیسا"), names, "Kapisa", "Mahmood-e-Raqi")
    assert_district(geocode_text("در شهر قندوز"), names, "Kunduz", "Kunduz")


def test_admin1_hint_settles_a_text_naming_only_road_ends(names):
    r = geocode_text("زقاق ناصري الواقع على الطريق العام بين قندوز وبغلان", admin1="Kunduz")
    assert_province(r, names, "Kunduz")


@pytest.mark.parametrize("text", ["Kohistan district of Kapisa", "ولسوالی کوهستان ولایت کاپیسا"])
def test_district_name_absent_from_the_named_province_keeps_the_province(names, text):
    """Kapisa's Kohistan is split into Hisa-e-Awal/Duwum; the 2018 'Kohistan' districts are in Badakhshan and Faryab."""
    r = geocode_text(text)
    assert_province(r, names, "Kapisa")
    assert code(names, "Badakhshan", "Kohistan") in r.geocode_candidates
    assert code(names, "Faryab", "Kohistan") in r.geocode_candidates


def test_anaba_is_panjshirs_anawa(names):
    assert_district(geocode_text("Anaba district"), names, "Panjsher", "Anawa")


# --- hierarchy, villages, transliteration (issue 11) -----------------------------------------


@pytest.mark.parametrize(
    "text,province,district",
    [
        # "Village, District, Province" with the spellings of the issue: not in any name table.
        ("Sangar, Trinkot, Uruzgan", "Uruzgan", "Tirinkot"),
        ("Qala-e-Malik, Chahar Bolak, Balkh", "Balkh", "Char Bolak"),
        ("Shaga, Wata Pur, Kunar", "Kunar", "Watapur"),
        ("Babaji, Nahri Sarraj, Helmand", "Hilmand", "Nahr-e-Saraj"),
        ("Chakaray, Do Ab, Nuristan", "Nuristan", "Duab"),
        ("Gardi, Sherzad, Nangarhar", "Nangarhar", "Sherzad"),
        ("Alikhel, Jaji, Paktia", "Paktya", "Jaji"),
        ("Murad Bik village of Shakardar (Kabul province)", "Kabul", "Shakar Dara"),
        # A road's ends are context: the district the string names wins.
        ("Herat-Islam Qala Main Road, Ghoryan", "Hirat", "Ghoryan"),
        ("Herat-Islam Qala Main Road, Ghoryan, Herat", "Hirat", "Ghoryan"),
        # "X area of Y district in Z province": the unmarked X yields (Sayed Abad is also a Wardak district).
        ("Sayed Abad area of Nahr-e-Saraj district in Helmand province", "Hilmand", "Nahr-e-Saraj"),
        # Kabul neighbourhoods from the IEC list, with the city named.
        ("Bagh-e Bala area of Kabul city", "Kabul", "Kabul"),
        ("the Qalacha neighbourhood in Police District (PD) 8", "Kabul", "Kabul"),
        # A village of the IEC list inside the province named.
        ("Farghamanj, Badakhshan", "Badakhshan", "Jorm"),
    ],
)
def test_village_district_province_strings(text, province, district, names):
    r = geocode_text(text)
    assert_district(r, names, province, district)


def test_a_district_created_after_2018_is_its_2018_district(names):
    r = geocode_text("Dand district, Kandahar")
    assert_district(r, names, "Kandahar", "Kandahar")
    assert "created after 2018" in r.geocode_note


def test_a_district_slot_never_invents_a_district(names):
    # Nothing close to a Paktika district: the province stands, no district is made up.
    assert_province(geocode_text("Zarghun Kalay, Qqqxyz, Paktika"), names, "Paktika")
    # A same-named district elsewhere does not leak into the province named.
    r = geocode_text("Kalalan village, Kohistan district, Kapisa")
    assert r.adm1_pcode == code(names, "Kapisa") and r.adm2_pcode == ""


def test_a_village_alone_is_not_an_answer():
    r = geocode_text("Qalacha")  # listed in five districts of five provinces
    assert r.geocode_status == "unresolved" and "AF0101" in r.geocode_candidates
