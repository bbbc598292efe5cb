"""Row validation rules (geo.validate) on real rows and real coordinates."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from geo.errors import InputError
from geo.validate import (
    MAX_FATALITIES,
    check_coordinates_place,
    check_event_ids,
    check_size,
    check_vocabulary,
    likely_duplicates,
    parse_coordinates,
    parse_dates,
    parse_fatalities,
)

TODAY = dt.date(2026, 1, 1)


@pytest.fixture(scope="module")
def bundled(bundled_events_csv) -> pd.DataFrame:
    return pd.read_csv(bundled_events_csv, dtype=str, keep_default_na=False)


def test_real_dates_all_parse(bundled):
    dates, why = parse_dates(bundled["event_date"], today=TODAY)
    assert (why == "").all()
    assert dates.dt.strftime("%Y-%m-%d").tolist() == bundled["event_date"].tolist()


@pytest.mark.parametrize(
    "value, reason",
    [
        ("2025-13-45", "event_date: expected a date (YYYY-MM-DD or '10 December 2025'), got '2025-13-45'"),
        ("yesterday", "event_date: expected a date (YYYY-MM-DD or '10 December 2025'), got 'yesterday'"),
        ("2026-01-02", "event_date: 2026-01-02 is in the future (today is 2026-01-01)"),
        ("", "event_date: missing"),
        ("1066-10-14", "event_date: '1066-10-14' is before 1970-01-01, not a plausible event date"),
    ],
)
def test_bad_dates_are_rejected_with_the_field(value, reason):
    dates, why = parse_dates(pd.Series(["2025-12-10", value]), today=TODAY)
    assert why.tolist() == ["", reason]
    assert pd.isna(dates.iloc[1])


def test_acled_and_other_date_forms():
    dates, why = parse_dates(
        pd.Series(["10 December 2025", "Dec 10, 2025", "2025-12-10T08:30:00", "2025/12/10"]), today=TODAY
    )
    assert (why == "").all()
    assert set(dates.dt.strftime("%Y-%m-%d")) == {"2025-12-10"}


def test_fatalities(bundled):
    n, why = parse_fatalities(bundled["fatalities"])
    assert (why == "").all()
    given = bundled["fatalities"] != ""
    assert n[given].astype(int).tolist() == bundled.loc[given, "fatalities"].astype(int).tolist()
    assert n[~given].isna().all()
    n, why = parse_fatalities(pd.Series(["-3", "2.5", "many", "7.0", "1e3"]))
    assert why.tolist()[:3] == [
        "fatalities: expected a non-negative integer, got '-3'",
        "fatalities: expected a non-negative integer, got '2.5'",
        "fatalities: expected a non-negative integer, got 'many'",
    ]
    assert n.tolist()[3:] == [7, 1000]


def test_swapped_coordinates_are_fixed_and_noted(bundled):
    real = bundled[bundled["latitude"] != ""].head(20)
    lat, lon, bad, notes = parse_coordinates(real["longitude"], real["latitude"])  # every pair swapped
    assert (bad == "").all()
    assert lat.round(5).tolist() == real["latitude"].astype(float).round(5).tolist()
    assert lon.round(5).tolist() == real["longitude"].astype(float).round(5).tolist()
    assert all(n.startswith("latitude/longitude: swapped") for n in notes)
    # The right way round: nothing to note.
    _, _, _, notes = parse_coordinates(real["latitude"], real["longitude"])
    assert (notes == "").all()


def test_unusable_coordinates_name_the_field():
    lat, lon, bad, _ = parse_coordinates(pd.Series(["abc", "95", "", "34.5"]), pd.Series(["69.1", "69.1", "69.1", ""]))
    assert bad.tolist() == [
        "latitude: expected a number in decimal degrees, got 'abc'",
        "latitude: expected -90..90, got '95'",
        "latitude: missing while longitude is given",
        "longitude: missing while latitude is given",
    ]
    assert lat.isna().all() and lon.isna().all()


def test_coordinates_outside_the_country_or_the_stated_province(bundled):
    # Bazarak (Panjsher), stated as Kabul; Tehran; Herat city stated as Hirat (fine).
    lat = pd.Series([35.31292, 35.69, 34.37439])
    lon = pd.Series([69.51519, 51.39, 62.17384])
    point, notes = check_coordinates_place(
        lat, lon, pd.Series(["AF01", "", "AF32"]), names={"AF01": "Kabul", "AF08": "Panjsher"}
    )
    assert point.tolist() == ["AF08", "", "AF32"]
    assert (
        notes[0]
        == "latitude/longitude: (35.3129, 69.5152) lies in Panjsher (AF08), not in the stated province Kabul (AF01)"
    )
    assert notes[1] == "latitude/longitude: (35.69, 51.39) is outside Afghanistan"
    assert notes[2] == ""


def test_real_coordinates_fall_in_their_stated_province(bundled):
    placed = bundled[(bundled["latitude"] != "") & (bundled["adm1_pcode"] != "")]
    _, notes = check_coordinates_place(
        placed["latitude"].astype(float), placed["longitude"].astype(float), placed["adm1_pcode"]
    )
    assert (notes == "").all()


def test_duplicate_and_known_ids(bundled):
    ids = pd.concat([bundled["event_id"], bundled["event_id"].head(2)], ignore_index=True)
    why = check_event_ids(ids, pd.Series(range(1, len(ids) + 1)), known=["DEV-050"])
    assert why[-2:].tolist() == ["event_id: 'DEV-001' repeats row 1", "event_id: 'DEV-002' repeats row 2"]
    assert why[49] == "event_id: 'DEV-050' is already in the loaded events"
    assert (np.delete(why, [49, len(ids) - 2, len(ids) - 1]) == "").all()


def test_likely_duplicates_in_the_real_data(bundled):
    ev = bundled.assign(event_date=pd.to_datetime(bundled["event_date"]))
    notes = likely_duplicates(ev, exclude=ev["is_aggregate"] == "True")
    flagged = ev.loc[notes != "", "event_id"].tolist()
    # Every flagged pair really is same group, same district, at most one day apart.
    for i in np.flatnonzero(notes != ""):
        other = notes[i].split("'")[1]
        a, b = ev.iloc[i], ev.set_index("event_id").loc[other]
        assert a["group"] == b["group"] and a["adm2_pcode"] == b["adm2_pcode"] != ""
        assert abs((a["event_date"] - b["event_date"]).days) <= 1
    # And a copy of a real event one day later is always flagged, against that event.
    copy = ev.iloc[[40]].assign(event_id="COPY", event_date=ev.iloc[40]["event_date"] + pd.Timedelta(days=1))
    both = pd.concat([ev, copy], ignore_index=True)
    notes2 = likely_duplicates(both)
    assert f"likely duplicate of '{ev.iloc[40]['event_id']}'" in notes2[-1]
    assert len(flagged) < len(ev) // 5


def test_vocabulary():
    why = check_vocabulary(pd.Series(["self-claimed", "", "rumoured"]), ["self-claimed"], field="claim_status")
    assert why.tolist() == ["", "", "claim_status: expected one of ['self-claimed'], got 'rumoured'"]


def test_size_limit():
    check_size(100, max_bytes=100)
    with pytest.raises(InputError, match=r"upload.csv is 101 bytes, over the limit of 100 bytes"):
        check_size(101, max_bytes=100, name="upload.csv")


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("2024-01-01T23:59:59.999Z", True),
        ("2024-01-01 00:00", True),
        ("2024-1-1T1:00", True),
        ("2024-01-01T24:00", False),
        ("2024-01-01T25:00", False),
        ("2024-01-01T10:60", False),
        ("2024-01-01T10:00:61", False),
        ("2024-01-01T1:2:3:4", False),
    ],
)
def test_a_time_of_day_must_be_one(text, ok):
    dates, why = parse_dates(pd.Series([text]), today=dt.date(2026, 1, 1))
    assert (why[0] == "") is ok, why[0]
    assert (dates.iloc[0] == pd.Timestamp("2024-01-01")) if ok else pd.isna(dates.iloc[0])


def test_fatalities_have_an_upper_bound():
    counts, why = parse_fatalities(pd.Series([str(MAX_FATALITIES), str(MAX_FATALITIES + 1), "1e308", "9" * 30, "1e5"]))
    assert counts.tolist()[:1] == [MAX_FATALITIES] and counts.iloc[4] == 100_000
    assert why.tolist()[1:4] == [
        f"fatalities: expected at most 100,000, got '{MAX_FATALITIES + 1}'",
        "fatalities: expected at most 100,000, got '1e308'",
        f"fatalities: expected at most 100,000, got '{'9' * 30}'",
    ]
