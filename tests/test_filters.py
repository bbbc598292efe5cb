"""Filters and summary on the bundled real events."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from geo.cli import main
from geo.errors import FilterError
from geo.events import load_events
from geo.filters import Filters, apply_filters, headline, summarize


@pytest.fixture(scope="module")
def events():
    return load_events()


def test_aggregate_statements_are_never_counted(events):
    agg = events[events["is_aggregate"]]
    assert len(agg) == 4 and agg["notes"].str.startswith("AGGREGATE").all()
    selected = apply_filters(events, Filters())
    assert len(selected) == len(events) - 4
    assert not selected["event_id"].isin(agg["event_id"]).any()


def test_group_and_date_filter(events):
    f = Filters(groups=("NRF",), start=dt.date(2024, 3, 1), end=dt.date(2025, 3, 31))
    sel = apply_filters(events, f)
    assert (sel["group"] == "NRF").all()
    assert sel["event_date"].min() >= pd.Timestamp("2024-03-01")
    assert sel["event_date"].max() <= pd.Timestamp("2025-03-31")
    # Independent count straight from the frame.
    mask = (
        (events["group"] == "NRF") & events["event_date"].between("2024-03-01", "2025-03-31") & ~events["is_aggregate"]
    )
    assert len(sel) == int(mask.sum()) > 0


def test_dates_are_inclusive(events):
    day = events.loc[~events["is_aggregate"], "event_date"].iloc[10].date()
    sel = apply_filters(events, Filters(start=day, end=day))
    assert len(sel) >= 1 and (sel["event_date"].dt.date == day).all()


def test_exact_only_drops_province_level_events(events):
    sel = apply_filters(events, Filters(exact_only=True))
    assert sel["geo_precision"].le(2).all()
    assert len(sel) < len(apply_filters(events, Filters()))


def test_summary_counts_distinct_units_and_province_level_events(events):
    sel = apply_filters(events, Filters(provinces=("AF32",)))
    s = summarize(sel)
    assert s["provinces"] == 1
    assert s["events"] == len(sel)
    assert s["province_level_events"] == int((sel["adm2_pcode"] == "").sum())
    assert s["districts"] == sel.loc[sel["adm2_pcode"] != "", "adm2_pcode"].nunique()
    assert s["fatalities"] == int(sel["fatalities"].fillna(0).sum())


def test_headline_format(events):
    f = Filters(groups=("NRF",), start=dt.date(2024, 3, 1), end=dt.date(2025, 3, 31))
    s = summarize(apply_filters(events, f), filters=f)
    text = headline(s)
    assert text == (
        f"{s['events']} events · {s['provinces']} provinces · {s['districts']} districts · "
        f"{s['fatalities']} reported fatalities · 2024-03-01 – 2025-03-31"
    )


def test_empty_selection(events):
    s = summarize(apply_filters(events, Filters(groups=("TTP",))))
    assert s["events"] == 0 and s["start"] is None and s["provinces"] == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"groups": ("XYZ",)}, "group: expected one of"),
        ({"start": "2024-13-01"}, "start: expected a date YYYY-MM-DD, got '2024-13-01'"),
        ({"start": "2025-01-01", "end": "2024-01-01"}, "is after end"),
        ({"claim_statuses": ("rumoured",)}, "claim_status"),
    ],
)
def test_invalid_filters_name_the_field(kwargs, message):
    with pytest.raises(FilterError, match=message):
        Filters(**kwargs)


def test_cli_summary_answers_the_question_in_one_command(events, capsys):
    code = main(["summary", "--group", "NRF", "--start", "2024-03-01", "--end", "2025-03-31"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    f = Filters(groups=("NRF",), start=dt.date(2024, 3, 1), end=dt.date(2025, 3, 31))
    expected = summarize(apply_filters(events, f), filters=f)
    for key in ("events", "provinces", "districts", "fatalities", "start", "end"):
        assert out[key] == expected[key]
    assert "AGCHO" in out["attribution"]


def test_cli_summary_bad_input_is_one_line(capsys):
    assert main(["summary", "--start", "yesterday"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "error: start: expected a date YYYY-MM-DD, got 'yesterday'"
