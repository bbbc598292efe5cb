"""geo.viewstate: shared links <-> Filters, on the bundled events."""

from __future__ import annotations

import datetime as dt

import pytest

from geo.events import load_events
from geo.filters import Filters, apply_filters, summarize
from geo.viewstate import (
    QUERY_KEYS,
    FilterOptions,
    ViewState,
    filter_options,
    normalize_filters,
    parse_query_params,
    to_query_params,
)


@pytest.fixture(scope="module")
def events():
    return load_events()


@pytest.fixture(scope="module")
def options(events):
    return filter_options(events)


def test_options_come_from_single_events(events, options):
    single = events[~events["is_aggregate"]]
    assert set(options.groups) == set(single["group"])
    assert list(options.groups) == [
        g for g in ("NRF", "AFF", "ISKP", "ALM", "TTP", "Taliban/IEA", "Other", "Unknown") if g in options.groups
    ]
    assert options.first == single["event_date"].min().date()
    assert options.last == single["event_date"].max().date()
    assert set(options.provinces) == set(single.loc[single["adm1_pcode"] != "", "adm1_pcode"])
    assert options.provinces[single["adm1_pcode"].iloc[0]] == single["admin1"].iloc[0]
    assert set(options.event_types) == set(single["event_type"])


def test_shared_link_reproduces_the_cli_selection(events, options):
    view, warnings = parse_query_params({"group": ["NRF"], "start": "2024-03-01", "end": "2025-03-31"}, options)
    assert warnings == []
    cli = Filters(groups=("NRF",), start="2024-03-01", end="2025-03-31")
    assert view.filters == cli
    assert summarize(apply_filters(events, view.filters), filters=view.filters) == summarize(
        apply_filters(events, cli), filters=cli
    )


def test_link_round_trip(options):
    groups = options.groups[:2]
    province = next(iter(options.provinces))
    view = ViewState(
        Filters(
            groups=groups,
            start=dt.date(2023, 1, 1),
            end=dt.date(2024, 6, 30),
            event_types=(options.event_types[0],),
            provinces=(province,),
            claim_statuses=("self-claimed",),
            exact_only=True,
        ),
        metric="fatalities",
        basemap="none",
    )
    params = to_query_params(view)
    assert list(params) == [k for k in QUERY_KEYS if k in params]
    assert params["group"] == list(groups) and params["exact"] == ["1"] and params["basemap"] == ["none"]
    again, warnings = parse_query_params(params, options)
    assert warnings == []
    assert again == view


def test_defaults_stay_out_of_the_link(options):
    everything = Filters(groups=options.groups, start=options.first, end=options.last)
    assert normalize_filters(everything, options) == Filters()
    assert to_query_params(ViewState(normalize_filters(everything, options))) == {}
    view, warnings = parse_query_params({}, options)
    assert view == ViewState() and warnings == []


def test_unknown_group_warns_and_falls_back(options):
    view, warnings = parse_query_params({"group": "XYZ"}, options)
    assert view.filters.groups is None
    assert any("group='XYZ'" in w and "NRF" in w for w in warnings)
    assert any("every group" in w for w in warnings)


def test_group_known_but_absent_from_data(options):
    absent = "TTP"
    assert absent not in options.groups
    view, warnings = parse_query_params({"group": [absent, "nrf"]}, options)
    assert view.filters.groups == ("NRF",)
    assert warnings == [f"Ignored group='{absent}': no group '{absent}' in this data."]


def test_impossible_date_warns_and_falls_back(options):
    view, warnings = parse_query_params({"start": "2024-13-40", "end": "2025-03-31"}, options)
    assert view.filters.start is None and view.filters.end == dt.date(2025, 3, 31)
    assert len(warnings) == 1 and "start='2024-13-40'" in warnings[0] and "YYYY-MM-DD" in warnings[0]


def test_end_before_start_warns_and_falls_back(options):
    view, warnings = parse_query_params({"start": "2025-03-31", "end": "2024-03-01"}, options)
    assert (view.filters.start, view.filters.end) == (None, None)
    assert len(warnings) == 1 and "end is before the start" in warnings[0]


def test_province_by_code_or_name(options):
    code, name = next(iter(options.provinces.items()))
    by_code, w1 = parse_query_params({"province": code.lower()}, options)
    by_name, w2 = parse_query_params({"province": name.upper()}, options)
    assert by_code.filters.provinces == by_name.filters.provinces == (code,)
    assert w1 == w2 == []
    bad, w3 = parse_query_params({"province": "AF99"}, options)
    assert bad.filters.provinces is None and any("province='AF99'" in w for w in w3)


def test_bad_flags_metric_basemap_and_unknown_keys(options):
    view, warnings = parse_query_params(
        {"exact": "maybe", "metric": "deaths", "basemap": "satellite", "zoom": "5", "embed": "true"}, options
    )
    assert view == ViewState()
    joined = " | ".join(warnings)
    assert "exact='maybe'" in joined and "metric='deaths'" in joined and "basemap='satellite'" in joined
    assert "'zoom'" in joined and "embed" not in joined
    assert len(warnings) == 4


def test_payload_in_a_parameter_is_only_echoed_as_data(options):
    payload = "<img src=x onerror=alert(1)>"
    view, warnings = parse_query_params({"type": payload}, options)
    assert view.filters.event_types is None
    # The warning quotes the value with repr; the app renders warnings as text.
    assert repr(payload) in warnings[0]


def test_empty_data_gives_empty_options(events):
    options = filter_options(events.iloc[0:0])
    assert options == FilterOptions()
    view, warnings = parse_query_params({"group": "NRF"}, options)
    assert view.filters.groups is None and warnings


def test_parameters_of_other_pages_are_not_warned_about(options):
    view, warnings = parse_query_params({"group": "NRF", "freq": "Q"}, options, extra_keys=("freq",))
    assert view.filters.groups == ("NRF",) and warnings == []
    _, warnings = parse_query_params({"freq": "Q"}, options)
    assert warnings == [f"Ignored unknown parameter 'freq': expected one of {', '.join(QUERY_KEYS)}."]
