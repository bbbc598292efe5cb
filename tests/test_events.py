"""Event files: schema validation errors name the row and field; the bundled data is complete."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.errors import InputError, SchemaError
from geo.events import load_events, read_event_file
from geo.schema import EVENT_COLUMNS


def test_bundled_events_keep_every_source_row(bundled_events_csv, reported_events_csv):
    source = pd.read_csv(reported_events_csv, dtype=str)
    events = load_events(bundled_events_csv)
    assert list(events["event_id"]) == list(source["event_id"])
    assert list(events.columns[: len(EVENT_COLUMNS)]) == list(EVENT_COLUMNS)
    assert (events["source_url"] == source["source_url"]).all()
    single = events[~events["is_aggregate"]]
    # Every single event is placed at least to its province, with a P-code.
    assert single["adm1_pcode"].str.fullmatch(r"AF\d{2}").all()
    assert single["latitude"].between(29, 39).all() and single["longitude"].between(60, 75).all()


def _write(tmp_path, frame: pd.DataFrame):
    path = tmp_path / "events.csv"
    frame.to_csv(path, index=False)
    return path


def test_bad_date_names_row_and_field(tmp_path, bundled_events_csv):
    frame = pd.read_csv(bundled_events_csv, dtype=str, keep_default_na=False)
    frame.loc[4, "event_date"] = "2024-02-30"
    with pytest.raises(SchemaError, match=r"row 5, field 'event_date': expected a date YYYY-MM-DD, got '2024-02-30'"):
        load_events(_write(tmp_path, frame))


def test_negative_fatalities_and_unknown_group_are_refused(tmp_path, bundled_events_csv):
    frame = pd.read_csv(bundled_events_csv, dtype=str, keep_default_na=False)
    frame.loc[2, "fatalities"] = "-3"
    with pytest.raises(SchemaError, match=r"row 3, field 'fatalities'"):
        load_events(_write(tmp_path, frame))
    frame.loc[2, "fatalities"] = "3"
    frame.loc[7, "group"] = "Nobody"
    with pytest.raises(SchemaError, match=r"row 8, field 'group': expected one of"):
        load_events(_write(tmp_path, frame))


def test_missing_column_and_duplicate_id(tmp_path, bundled_events_csv):
    frame = pd.read_csv(bundled_events_csv, dtype=str, keep_default_na=False)
    with pytest.raises(SchemaError, match="missing required column.*'source_url'"):
        load_events(_write(tmp_path, frame.drop(columns=["source_url"])))
    frame.loc[5, "event_id"] = frame.loc[4, "event_id"]
    with pytest.raises(InputError, match=r"row 6, field 'event_id': duplicate event_id 'DEV-005'"):
        load_events(_write(tmp_path, frame))


def test_folder_of_files_is_read_in_name_order(tmp_path, bundled_events_csv):
    frame = pd.read_csv(bundled_events_csv, dtype=str, keep_default_na=False)
    frame.iloc[:50].to_csv(tmp_path / "a.csv", index=False)
    frame.iloc[50:].to_csv(tmp_path / "b.csv", index=False)
    events = load_events(tmp_path)
    assert list(events["event_id"]) == list(frame["event_id"])


def test_empty_and_missing_files(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="is empty"):
        read_event_file(empty)
    with pytest.raises(InputError, match="does not exist"):
        load_events(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="no event files"):
        load_events(tmp_path / "sub" if (tmp_path / "sub").mkdir() is None else None)


def test_bundled_codes_agree_with_the_compilers_curated_names(bundled_events_csv, reported_events_csv):
    """Independent check: join the compiled (province, district) names to the boundaries' P-codes."""
    from geo.boundaries import load_districts, load_provinces

    source = pd.read_csv(reported_events_csv, dtype=str, keep_default_na=False)
    events = load_events(bundled_events_csv)
    prov = dict(zip(load_provinces()["name_en"], load_provinces()["pcode"], strict=True))
    d = load_districts()
    dist = {(a, n): p for a, n, p in zip(d["adm1_pcode"], d["name_en"], d["pcode"], strict=True)}
    for src, ev in zip(source.itertuples(), events.itertuples(), strict=True):
        if src.notes.startswith("AGGREGATE"):
            assert ev.is_aggregate and ev.adm1_pcode == "" and pd.isna(ev.latitude)
            continue
        assert ev.adm1_pcode == prov[src.province], src.event_id
        assert ev.adm2_pcode == (dist[(prov[src.province], src.district)] if src.district else ""), src.event_id
        # No curated district: province level, never drawn as an exact point.
        assert ev.geo_precision == 3 if not src.district else ev.geo_precision in (1, 2)


def test_build_default_events_keeps_every_row_and_marks_aggregates(reported_events_csv):
    from geo.events import build_default_events

    source = pd.read_csv(reported_events_csv, dtype=str, keep_default_na=False)
    built = build_default_events(source)
    assert list(built["event_id"]) == list(source["event_id"])
    assert int(built["is_aggregate"].sum()) == int(source["notes"].str.startswith("AGGREGATE").sum()) == 4
    assert set(built.loc[~built["is_aggregate"], "geocode_status"]) == {"matched"}
    # Other:<name> keeps the name in actor1.
    row = built[built["event_id"] == "DEV-017"].iloc[0]
    assert row["group"] == "Other" and row["actor1"] == "National Azadagan Front"
