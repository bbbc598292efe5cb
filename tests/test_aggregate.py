"""District and province totals on the real bundled events."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.aggregate import AGGREGATE_COLUMNS, aggregate_by_district, aggregate_by_province, province_level_events
from geo.events import load_events
from geo.filters import Filters, apply_filters, summarize

SELECTIONS = [
    Filters(),
    Filters(groups=("NRF",), start="2024-03-01", end="2025-03-31"),
    Filters(groups=("AFF",)),
    Filters(exact_only=True),
]


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    return load_events()


@pytest.mark.parametrize("filters", SELECTIONS, ids=lambda f: f.describe())
def test_totals_agree_with_summarize(events, filters):
    selected = apply_filters(events, filters)
    summary = summarize(selected, filters=filters)
    by_district = aggregate_by_district(selected)
    by_province = aggregate_by_province(selected)
    assert list(by_district.columns) == list(AGGREGATE_COLUMNS)
    assert len(by_district) == summary["districts"]
    assert len(by_province) == summary["provinces"]
    assert int(by_province["events"].sum()) == summary["events"] - summary["unplaced_events"]
    assert int(by_province["province_level_events"].sum()) == summary["province_level_events"]
    assert (
        int(by_district["events"].sum())
        == summary["events"] - summary["unplaced_events"] - summary["province_level_events"]
    )
    placed = selected["adm1_pcode"] != ""
    assert int(by_province["fatalities"].sum()) == int(selected.loc[placed, "fatalities"].fillna(0).sum())


def test_province_level_events_count_for_the_province_not_a_district(events):
    selected = apply_filters(events, Filters())
    level = province_level_events(selected)
    assert len(level) > 0
    assert (level["adm2_pcode"] == "").all() and (level["adm1_pcode"] != "").all()
    by_district = aggregate_by_district(selected)
    # A province whose only events are province-level has no district row.
    for pcode, count in level["adm1_pcode"].value_counts().items():
        row = aggregate_by_province(selected).set_index("adm1_pcode").loc[pcode]
        assert row["province_level_events"] == count
        assert int(by_district.loc[by_district["adm1_pcode"] == pcode, "events"].sum()) == row["events"] - count


def test_group_statements_are_never_counted(events):
    assert events["is_aggregate"].sum() == 4
    with_statements = apply_filters(events, Filters(), include_aggregates=True)
    without = apply_filters(events, Filters())
    pd.testing.assert_frame_equal(aggregate_by_province(with_statements), aggregate_by_province(without))


def test_dates_groups_and_input_untouched(events):
    selected = apply_filters(events, Filters(groups=("NRF", "AFF")))
    before = selected.copy()
    by_district = aggregate_by_district(selected)
    pd.testing.assert_frame_equal(selected, before)
    for row in by_district.itertuples():
        rows = selected[selected["adm2_pcode"] == row.adm2_pcode]
        assert row.first_date == rows["event_date"].min() and row.last_date == rows["event_date"].max()
        assert set(row.groups.split(", ")) == set(rows["group"])


def test_empty_selection_gives_empty_frames(events):
    empty = apply_filters(events, Filters(start="2030-01-01"))
    assert aggregate_by_district(empty).empty and aggregate_by_province(empty).empty
    assert list(aggregate_by_district(empty).columns) == list(AGGREGATE_COLUMNS)
