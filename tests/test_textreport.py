"""Free-text extraction and the Solar Hijri calendar (geo.textreport)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from geo.textreport import (
    find_date,
    find_fatalities,
    find_group,
    find_place,
    find_target,
    gregorian_to_solar_hijri,
    is_solar_hijri_leap,
    number_value,
    parse_report,
    solar_hijri_month_length,
    solar_hijri_to_gregorian,
    split_reports,
)

REPORTS = Path(__file__).parent / "data" / "ingest" / "reports.txt"
ISSUE_EXAMPLE = (
    "National Resistance Front (#NRF) Militants Kill One #Taliban (IEA) Fighter in an Unspecified Attack on IEA "
    "Forces, Ganj-e-Shalbafan Area, PD-14, #Herat City, #Afghanistan — December 10, 2025"
)


# --- Solar Hijri ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "shamsi, gregorian",
    [
        ((1403, 1, 1), dt.date(2024, 3, 20)),  # Nowruz 1403 (after the leap Gregorian February)
        ((1404, 1, 1), dt.date(2025, 3, 21)),  # Nowruz 1404
        ((1403, 10, 10), dt.date(2024, 12, 30)),  # 10 Jadi 1403
        ((1399, 1, 1), dt.date(2020, 3, 20)),  # Nowruz 2020 fell on 20 March
        ((1400, 1, 1), dt.date(2021, 3, 21)),
        ((1402, 1, 1), dt.date(2023, 3, 21)),
        ((1403, 12, 30), dt.date(2025, 3, 20)),  # 1403 is leap: 30 Hoot exists, the eve of Nowruz 1404
        ((1400, 5, 24), dt.date(2021, 8, 15)),  # 24 Asad 1400: the Taliban enter Kabul
    ],
)
def test_solar_hijri_known_pairs(shamsi, gregorian):
    assert solar_hijri_to_gregorian(*shamsi) == gregorian
    assert gregorian_to_solar_hijri(gregorian) == shamsi


def test_solar_hijri_days_follow_each_other_for_years():
    # Every day 1395-1410 maps to the next Gregorian day: no gap, no overlap, month lengths right.
    prev = None
    for year in range(1395, 1411):
        for month in range(1, 13):
            for day in range(1, solar_hijri_month_length(year, month) + 1):
                g = solar_hijri_to_gregorian(year, month, day)
                if prev is not None:
                    assert g - prev == dt.timedelta(days=1), (year, month, day)
                assert gregorian_to_solar_hijri(g) == (year, month, day)
                prev = g


def test_solar_hijri_leap_years_follow_the_33_year_pattern():
    leaps = [y for y in range(1395, 1411) if is_solar_hijri_leap(y)]
    assert leaps == [1395, 1399, 1403, 1408]  # 1408, not 1407: the five-year gap of the 33-year cycle
    with pytest.raises(ValueError, match="has 29 days"):
        solar_hijri_to_gregorian(1404, 12, 30)


# --- dates in text -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected, precision",
    [
        ("#Afghanistan — December 10, 2025", dt.date(2025, 12, 10), "day"),
        ("on 10 Dec 2025 in Herat", dt.date(2025, 12, 10), "day"),
        ("the 3rd of May 2024", dt.date(2024, 5, 3), "day"),
        ("2024-06-01", dt.date(2024, 6, 1), "day"),
        ("حمله در ۱۰ جدی ۱۴۰۳", dt.date(2024, 12, 30), "day"),
        ("۲۷ دلو ۱۴۰۳", dt.date(2025, 2, 15), "day"),
        ("روز ۲۴ مهر ۱۴۰۴", dt.date(2025, 10, 16), "day"),  # Iranian month name
        ("۱ فروردین ۱۴۰۴", dt.date(2025, 3, 21), "day"),
        ("10 Jaddi 1403", dt.date(2024, 12, 30), "day"),
        ("15 Saur 1403", dt.date(2024, 5, 4), "day"),
        ("۱۰ دسامبر ۲۰۲۵", dt.date(2025, 12, 10), "day"),  # Gregorian month in Persian
        ("۱۵ سنبله ۱۴۰۴", dt.date(2025, 9, 6), "day"),
        ("در ماه حوت ۱۴۰۲", dt.date(2024, 2, 20), "month"),
        ("in March 2023", dt.date(2023, 3, 1), "month"),
    ],
)
def test_find_date(text, expected, precision):
    got = find_date(text)
    assert got is not None and got[:2] == (expected, precision)


def test_impossible_and_missing_dates_are_not_found():
    assert find_date("31 February 2024 and 31 Mizan 1403") is None
    assert find_date("last Tuesday near Herat") is None


# --- group, fatalities, target, place -----------------------------------------------------


@pytest.mark.parametrize(
    "text, group",
    [
        (ISSUE_EXAMPLE, "NRF"),
        ("جبهه آزادی افغانستان: حمله بر طالبان", "AFF"),
        ("جبهه مقاومت ملی اعلام کرد", "NRF"),
        ("ISIS-K claims attack on the Taliban", "ISKP"),
        ("Unknown gunmen shot a Taliban commander", "Unknown"),
        ("Taliban forces raided a village", "Unknown"),
    ],
)
def test_find_group(text, group):
    assert find_group(text)[0] == group


@pytest.mark.parametrize(
    "text, n",
    [
        (ISSUE_EXAMPLE, 1),
        ("killing twenty-one Taliban fighters", 21),
        ("3 Taliban killed and 2 injured", 3),
        ("NRF killed 5 Taliban, wounding 4, in Khinj", 5),
        ("سه تن از نیروهای طالبان کشته و دو تن زخمی شدند", 3),
        ("۱۲ طالب کشته شدند", 12),
        ("بیست و یک طالب کشته شدند", 21),
        ("attack in PD-14 on December 10, 2025", None),
        ("two Taliban fighters were wounded", None),
    ],
)
def test_find_fatalities(text, n):
    assert find_fatalities(text) == n


def test_number_words():
    assert [number_value(w) for w in ("one", "twelve", "forty-two", "۷", "هفت", "سی و دو", "many")] == [
        1,
        12,
        42,
        7,
        7,
        32,
        None,
    ]


def test_target_and_place_of_the_issue_example():
    assert find_target(ISSUE_EXAMPLE) == "Taliban (IEA) Fighter"
    assert find_place(ISSUE_EXAMPLE, date_text="December 10, 2025") == "Ganj-e-Shalbafan Area, PD-14, Herat City"


def test_place_in_dari_stops_at_the_verb_and_numbers():
    text = "جبهه مقاومت ملی: در حمله بر نیروهای طالبان در ولسوالی نهرین بغلان سه طالب کشته شدند."
    assert find_place(text) == "ولسوالی نهرین بغلان"


def test_split_reports_keeps_one_report_per_paragraph():
    paras = split_reports(REPORTS.read_text(encoding="utf-8"))
    assert len(paras) == 6
    assert paras[0] == ISSUE_EXAMPLE


def test_reports_fixture_matches_the_real_rows(bundled_events_csv):
    """Each report was written from one bundled row: the extraction gives back its group, date and fatalities."""
    events = pd.read_csv(bundled_events_csv, dtype=str, keep_default_na=False).set_index("event_id")
    source_rows = ["DEV-106", "DEV-097", "DEV-085", "DEV-094", "DEV-083"]
    for text, event_id in zip(split_reports(REPORTS.read_text(encoding="utf-8"))[:5], source_rows, strict=True):
        r = parse_report(text)
        row = events.loc[event_id]
        assert (r["group"], str(r["event_date"]), str(r["fatalities"])) == (
            row["group"],
            row["event_date"],
            row["fatalities"],
        ), event_id
        assert r["location"], event_id
