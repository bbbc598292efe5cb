"""The Streamlit app through ``AppTest``: every page runs, filters drive the headline, links are parsed safely.

The headline is compared with ``python -m geo summary`` run as a separate
process on the same events with the same filters.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from geo import settings
from geo.filters import headline

REPO = Path(__file__).resolve().parents[1]
APP = REPO / "app.py"
PAGES = ("pages/map.py", "pages/spread.py", "pages/data.py", "pages/about.py")
TIMEOUT = 120


def cli_headline(*args: str, events: Path | None = None) -> str:
    """The headline built from ``python -m geo summary ARGS`` (a separate process)."""
    env = {k: v for k, v in os.environ.items() if k != settings.EVENTS_ENV}
    cmd = [sys.executable, "-m", "geo", "summary", *args]
    if events is not None:
        cmd += ["--events", str(events)]
    out = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=True)
    return headline(json.loads(out.stdout))


def app_headline(at: AppTest) -> str:
    """The headline over the map, as the browser shows it (each part kept on one line by a span)."""
    for block in at.markdown:
        if block.value.startswith("### "):
            return html.unescape(re.sub(r"<[^>]+>", "", block.value[4:]))
    return at.subheader[0].value


def map_args(at: AppTest) -> dict:
    """What the Map page sent to the streamlit-folium component (``script``: the base map, ``feature_group``:
    the selection, applied in place)."""
    (component,) = [e for e in at.get("component_instance") if e.proto.component_name.endswith("st_folium")]
    return json.loads(component.proto.json_args)


def map_script(at: AppTest) -> str:
    """The base map's script and the selection's, as the browser runs them."""
    args = map_args(at)
    return args["script"] + "\n" + (args["feature_group"] or "")


def new_app(**params: str | list[str]) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for key, value in params.items():
        at.query_params[key] = value
    return at


@pytest.fixture(autouse=True)
def bundled_events(monkeypatch):
    """Every test sees the bundled events unless it points AFGMAP_EVENTS elsewhere."""
    monkeypatch.delenv(settings.EVENTS_ENV, raising=False)


def assert_ran_cleanly(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_every_page_runs_without_exception():
    at = new_app().run()
    assert_ran_cleanly(at)
    assert " events · " in app_headline(at)
    for page in PAGES:
        at.switch_page(page).run()
        assert_ran_cleanly(at)
    # The sidebar (filters, map options) is there on every page.
    assert at.multiselect(key="f_group").value
    assert at.radio(key="v_basemap").value == "osm"


def test_default_headline_equals_cli_summary_without_filters():
    at = new_app().run()
    assert app_headline(at) == cli_headline()


def test_shared_link_headline_equals_cli_summary():
    at = new_app(group="NRF", start="2024-03-01", end="2025-03-31").run()
    assert_ran_cleanly(at)
    assert not at.warning
    assert app_headline(at) == cli_headline("--group", "NRF", "--start", "2024-03-01", "--end", "2025-03-31")
    # The widgets show the link's view.
    assert at.multiselect(key="f_group").value == ["NRF"]
    assert at.date_input(key="f_dates").value == (dt.date(2024, 3, 1), dt.date(2025, 3, 31))


def test_filters_change_the_headline_and_the_url():
    at = new_app().run()
    everything = app_headline(at)
    at.multiselect(key="f_group").set_value(["AFF"]).run()
    only_aff = app_headline(at)
    assert only_aff != everything
    assert only_aff == cli_headline("--group", "AFF")
    assert at.query_params["group"] == ["AFF"] or at.query_params["group"] == "AFF"

    at.date_input(key="f_dates").set_value((dt.date(2024, 1, 1), dt.date(2024, 12, 31))).run()
    assert app_headline(at) == cli_headline("--group", "AFF", "--start", "2024-01-01", "--end", "2024-12-31")
    at.toggle(key="f_exact").set_value(True).run()
    assert app_headline(at) == cli_headline(
        "--group", "AFF", "--start", "2024-01-01", "--end", "2024-12-31", "--exact-only"
    )
    assert str(at.query_params["exact"]) in ("1", "['1']")

    at.radio(key="v_basemap").set_value("none").run()
    at.button[0].click().run()  # Reset filters
    assert app_headline(at) == everything
    assert at.radio(key="v_basemap").value == "none"  # map options are not filters


@pytest.mark.parametrize(
    ("params", "expected_in_warning"),
    [
        ({"group": "XYZ"}, "group='XYZ'"),
        ({"start": "2024-13-40"}, "start='2024-13-40'"),
        ({"start": "2025-03-31", "end": "2024-03-01"}, "end is before the start"),
        ({"basemap": "satellite", "exact": "perhaps"}, "basemap='satellite'"),
    ],
)
def test_bad_query_params_warn_and_fall_back(params, expected_in_warning):
    default = cli_headline()
    at = new_app(**params).run()
    assert_ran_cleanly(at)
    warnings = [w.value.replace("\\", "") for w in at.warning]
    assert any(expected_in_warning in w for w in warnings), warnings
    assert app_headline(at) == default


def test_partly_valid_link_keeps_the_valid_part():
    at = new_app(group=["NRF", "XYZ"], start="2024-03-01", end="2025-03-31").run()
    assert_ran_cleanly(at)
    assert len(at.warning) >= 1
    assert app_headline(at) == cli_headline("--group", "NRF", "--start", "2024-03-01", "--end", "2025-03-31")


def test_link_warnings_disappear_once_the_view_changes():
    at = new_app(group="XYZ").run()
    assert at.warning
    at.multiselect(key="f_group").set_value(["NRF"]).run()
    assert not at.warning


def test_data_page_lists_filtered_events_and_statements_apart():
    at = new_app(group="NRF").run()
    at.switch_page("pages/data.py").run()
    assert_ran_cleanly(at)
    tables = at.dataframe
    events_table = tables[0].value
    n_events = int(cli_headline("--group", "NRF").split(" events")[0].replace(",", ""))
    assert len(events_table) == n_events
    assert set(events_table["group"]) == {"NRF"}
    # The NRF group statements of the bundled data (notes starting with AGGREGATE) are listed apart, never counted.
    with open(settings.DEFAULT_EVENTS_FILE, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    nrf_statements = [r["event_id"] for r in rows if r["group"] == "NRF" and r["notes"].startswith("AGGREGATE")]
    assert nrf_statements
    assert sorted(tables[1].value["event_id"]) == sorted(nrf_statements)
    assert not set(nrf_statements) & set(events_table["event_id"])


def _bundled_rows(n: int) -> tuple[list[dict[str, str]], list[str]]:
    """The first ``n`` rows of the bundled events file, as written, and its header."""
    with open(settings.DEFAULT_EVENTS_FILE, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        return [next(reader) for _ in range(n)], list(reader.fieldnames)


def _write_rows(path, rows: list[dict[str, str]], fields: list[str]):
    """Write rows as an events CSV; returns the path."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_bad_events_file_shows_one_line_error(tmp_path, monkeypatch):
    # A real bundled row with an impossible date in the second data row.
    rows, fields = _bundled_rows(3)
    rows[1]["event_date"] = "2024-02-30"
    bad = _write_rows(tmp_path / "bad_events.csv", rows, fields)
    monkeypatch.setenv(settings.EVENTS_ENV, str(bad))
    at = new_app().run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.error) == 1
    message = at.error[0].value.replace("\\", "")
    assert "row 2" in message and "event_date" in message and "2024-02-30" in message


def test_missing_boundaries_say_which_command_to_run(tmp_path, monkeypatch):
    # Point every place the loader searches at empty folders.
    monkeypatch.setenv(settings.BOUNDARIES_ENV, str(tmp_path))
    monkeypatch.setattr(settings, "LOCAL_BOUNDARIES_DIR", tmp_path / "boundaries")
    at = new_app().run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.error) == 1
    assert "python -m geo download-boundaries" in at.error[0].value


def test_map_options_are_mirrored_to_the_link():
    at = new_app(metric="fatalities", basemap="none").run()
    assert_ran_cleanly(at)
    assert at.radio(key="v_metric").value == "fatalities"
    assert at.radio(key="v_basemap").value == "none"
    assert "shaded by reported fatalities" in at.caption[0].value
    at.radio(key="v_metric").set_value("events").run()
    assert_ran_cleanly(at)
    assert "metric" not in at.query_params and at.query_params["basemap"] in ("none", ["none"])
    # Every page keeps the view: the Data page counts the same events.
    at.switch_page("pages/data.py").run()
    assert at.radio(key="v_basemap").value == "none"
    assert at.markdown[0].value.strip("*") == cli_headline()


def test_province_level_and_statements_are_counted_under_the_map():
    at = new_app().run()
    summary = json.loads(
        subprocess.run(
            [sys.executable, "-m", "geo", "summary"], cwd=REPO, capture_output=True, text=True, timeout=120, check=True
        ).stdout
    )
    note = next(c.value for c in at.caption if "known only to province level" in c.value)
    assert re.search(rf"(^|\s){summary['province_level_events']:,} events? known only to province level", note), note
    assert re.search(rf"(^|\s){summary['unplaced_events']:,} events? without a place", note), note
    with open(settings.DEFAULT_EVENTS_FILE, encoding="utf-8") as fh:
        statements = sum(r["notes"].startswith("AGGREGATE") for r in csv.DictReader(fh))
    assert statements and re.search(rf"(^|\s){statements:,} group statements? bundling", note), note


def test_tables_link_only_web_sources(tmp_path, monkeypatch):
    # Two real bundled rows; the second one's source rewritten to a javascript: URL.
    rows, fields = _bundled_rows(2)
    rows[1]["source_url"] = "javascript:alert(document.domain)//https://example.org"
    path = _write_rows(tmp_path / "events.csv", rows, fields)
    monkeypatch.setenv(settings.EVENTS_ENV, str(path))
    at = new_app().run()
    at.switch_page("pages/data.py").run()
    assert_ran_cleanly(at)
    table = at.dataframe[0].value.set_index("event_id")
    assert table.loc[rows[0]["event_id"], "source_url"] == rows[0]["source_url"]
    assert table.loc[rows[1]["event_id"], "source_url"] is None or pd.isna(table.loc[rows[1]["event_id"], "source_url"])


def test_full_link_reproduces_the_cli_selection():
    link = {
        "group": ["NRF", "AFF"],
        "type": "Battles",
        "province": ["AF01", "AF09"],
        "claim": "self-claimed",
        "exact": "1",
    }
    at = new_app(**link).run()
    assert_ran_cleanly(at)
    assert not at.warning
    expected = cli_headline(
        "--group", "NRF", "--group", "AFF", "--type", "Battles", "--province", "AF01", "--province", "AF09",
        "--claim", "self-claimed", "--exact-only",
    )  # fmt: skip
    assert app_headline(at) == expected
    assert at.multiselect(key="f_province").value == ["AF01", "AF09"]
    assert at.toggle(key="f_exact").value is True


def test_session_uploads_count_in_that_session_only():
    from geo.events import load_events

    real = load_events()
    uploads = real.loc[~real["is_aggregate"]].head(3).copy()
    uploads["event_id"] = ["UP-1", "UP-2", "UP-3"]
    with_uploads = new_app(basemap="none")
    with_uploads.session_state["uploaded_events"] = uploads
    with_uploads.run()
    assert_ran_cleanly(with_uploads)
    n_all = int(cli_headline().split(" events")[0].replace(",", ""))
    assert app_headline(with_uploads).startswith(f"{n_all + 3:,} events")
    assert "UP-2" in map_script(with_uploads)  # each point's popup names its event
    # Another session with the same view gets neither the uploads nor a map built from them.
    other = new_app(basemap="none").run()
    assert app_headline(other) == cli_headline()
    assert "UP-2" not in map_script(other)


def test_missing_map_assets_say_which_command_to_run(tmp_path, monkeypatch):
    # An empty vendor folder: the map cannot load Leaflet offline, so the page says how to fetch it.
    monkeypatch.setattr(settings, "VENDOR_DIR", tmp_path / "vendor")
    st.cache_resource.clear()  # no map built by an earlier test, when the assets were there
    at = new_app(group="AFF").run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.error) == 1
    assert "python -m geo fetch-assets" in at.error[0].value.replace("\\", "")
    assert not at.get("component_instance")  # no map that would call a CDN
    assert app_headline(at) == cli_headline("--group", "AFF")  # the rest of the page still works


# --------------------------------------------------------------------------- the Map page's map (issues 12, 13)


def test_a_filter_change_keeps_the_base_map_and_sends_only_the_selection():
    at = new_app(basemap="none").run()
    assert_ran_cleanly(at)
    first = map_args(at)
    at.multiselect(key="f_group").set_value(["NRF"]).run()
    assert_ran_cleanly(at)
    second = map_args(at)
    # streamlit-folium keys the map on its script: the same script, so the browser keeps the map (and where
    # the user panned it) and only applies the new selection.
    assert first["script"] == second["script"] and len(first["script"]) < 20_000
    assert "AfgMap.update(" in second["feature_group"] and first["feature_group"] != second["feature_group"]
    # The boundaries and our code come as cacheable static files, never inside the message.
    assert any("/app/static/generated/afg-boundaries-" in url for url in first["js_links"])
    assert "AF3201" not in first["script"] + second["feature_group"].split('"districts"')[0]


def test_empty_selection_asks_to_widen_the_filters():
    from geo.events import load_events

    events = load_events()
    days = pd.date_range(events["event_date"].min(), events["event_date"].max(), freq="D")
    nrf_days = set(events.loc[events["group"] == "NRF", "event_date"].dt.normalize())
    quiet = next(d for d in days if d not in nrf_days).date().isoformat()
    at = new_app(group="NRF", start=quiet, end=quiet, basemap="none").run()
    assert_ran_cleanly(at)
    assert at.subheader[0].value == "No events match these filters"
    assert "Widen the filters" in at.info[0].value
    assert not any("0 events" in block.value for block in at.markdown)
    assert "Widen the filters" in map_args(at)["feature_group"]  # the map says so too


def test_filter_caption_names_provinces_not_codes():
    at = new_app(province=["AF32", "AF08"]).run()
    assert_ran_cleanly(at)
    caption = next(c.value for c in at.caption if c.value.startswith("Filters:"))
    assert "Herat \\(Hirat\\)" in caption and "Panjshir \\(Panjsher\\)" in caption  # markdown-escaped brackets
    assert "AF32" not in caption and "AF08" not in caption
