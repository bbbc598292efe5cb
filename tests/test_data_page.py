"""The Data page with the event database (AppTest; the same flows in a real browser: tests/browser/test_data_browser.py).

Each test runs the app on its own new SQLite database, seeded from the bundled events, with one editor
(alice) configured through ``$AFGMAP_EDITORS`` unless it tests the read-only app.
"""

from __future__ import annotations

import functools
import json
import math

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geo import settings
from geo.auth import MAX_FAILURES, hash_password
from geo.events import load_events
from geo.store import open_store
from pages.upload_box import LINE_PX, WHY_CHARS_PER_LINE, WHY_WIDTH_PX

APP = settings.REPO_ROOT / "app.py"
PASSWORD = "correct horse battery"

#: One out-of-country row (Mashhad), one unresolved place, one good row and one swapped-and-fixed row.
UPLOAD = (settings.REPO_ROOT / "tests" / "data" / "upload_review.csv").read_bytes()


@functools.cache
def _editor_entry() -> str:
    return f"alice:{hash_password(PASSWORD)}"


@pytest.fixture
def db_url(tmp_path, monkeypatch) -> str:
    url = f"sqlite:///{tmp_path / 'events.sqlite'}"
    monkeypatch.setenv(settings.DATABASE_ENV, url)
    monkeypatch.delenv(settings.EVENTS_ENV, raising=False)
    monkeypatch.setenv(settings.EDITORS_ENV, _editor_entry())
    from pages import editor

    editor._guard.clear()  # a lock-out from another test (one guard per server process) must not leak
    return url


def data_page() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.run()
    at.switch_page("pages/data.py").run()
    return at


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def login(at: AppTest, password: str = PASSWORD) -> AppTest:
    at.text_input(key="login-name").input("alice")
    at.text_input(key="login-password").input(password)
    next(b for b in at.button if b.label == "Log in").click().run()
    return at


def captions(at: AppTest) -> str:
    return " | ".join(c.value for c in at.caption)


def test_without_editors_the_app_is_read_only_and_says_so(db_url, monkeypatch):
    monkeypatch.delenv(settings.EDITORS_ENV)
    at = data_page()
    assert_clean(at)
    assert "Read-only: no editor is configured" in captions(at)
    assert not [t for t in at.text_input if t.key == "login-password"]
    at.file_uploader[0].set_value(("mixed.csv", UPLOAD, "text/csv")).run()
    add = next(b for b in at.button if b.key == "upload-add")
    assert add.disabled
    assert not [b for b in at.button if b.label == "Save changes"]  # no edit form either


def test_with_event_files_the_app_is_read_only(monkeypatch):
    monkeypatch.setenv(settings.EVENTS_ENV, str(settings.DEFAULT_EVENTS_FILE))
    at = data_page()
    assert_clean(at)
    assert "Read-only: the events come from files" in captions(at)


def test_visitors_see_the_kind_of_store_and_editors_where_it_is(db_url, tmp_path):
    at = data_page()
    assert_clean(at)
    shown = captions(at).replace("\\", "")  # the page escapes Markdown
    assert "Events from the event database (SQLite)." in shown
    assert str(tmp_path) not in shown  # no server path for a visitor
    login(at)
    assert f"Events from the SQLite file {tmp_path / 'events.sqlite'}." in captions(at).replace("\\", "")


def test_login_then_logout(db_url):
    at = login(data_page())
    assert_clean(at)
    assert "Editing as **alice**" in captions(at)
    next(b for b in at.button if b.label == "Log out").click().run()
    assert "Editing as" not in captions(at)


def test_repeated_wrong_passwords_lock_the_name_out(db_url):
    at = data_page()
    for _ in range(MAX_FAILURES):
        login(at, "wrong")
    assert any("is locked for" in e.value for e in at.error)
    login(at, PASSWORD)  # even the right password is refused while locked
    assert any("locked for" in e.value for e in at.error)
    assert "Editing as" not in captions(at)


def test_the_table_shows_precision_placement_and_common_names(db_url):
    at = data_page()
    assert_clean(at)
    table = at.dataframe[0].value.set_index("event_id")
    events = load_events().set_index("event_id")
    month = events.index[events["date_precision"] == "month"]
    assert len(month), "the bundled data has month-precision events"
    assert table.loc[month[0], "event_date"].endswith("(month)")
    district_level = events.index[(events["geo_precision"] == 2) & ~events["is_aggregate"]][0]
    assert table.loc[district_level, "geo_precision"] == "placed at district centre"
    herat = events.index[(events["adm1_pcode"] == "AF32") & ~events["is_aggregate"]]
    if len(herat):
        assert table.loc[herat[0], "admin1"] == "Herat (Hirat)"


def test_upload_review_starts_failed_rows_unticked_and_add_clears_the_box(db_url):
    at = login(data_page())
    at.file_uploader[0].set_value(("mixed.csv", UPLOAD, "text/csv")).run()
    assert_clean(at)
    editors = [e for e in at.dataframe if e.proto.editing_mode]  # the review editor (st.data_editor)
    assert len(editors) == 1
    table = editors[0].value
    assert list(table.columns)[0] == "review_note"  # "Why" first
    keep = dict(zip(table["event_id"], table["keep"], strict=True))
    assert keep["UP-OUT"] is False or not keep["UP-OUT"]
    assert not keep["UP-NOWHERE"]
    assert keep["UP-SWAP"]  # a fixed swap is a repair, not a failure
    store = open_store(db_url)
    before = store.count()
    next(b for b in at.button if b.key == "upload-add").click().run()
    assert_clean(at)
    added = [s.value.replace("\\", "") for s in at.success]
    assert any("Added to the database: import #2 of mixed.csv by alice: 4 rows in, 2 events added" in s for s in added)
    assert store.count() == before + 2
    ids = set(store.event_ids())
    assert {"UP-GOOD", "UP-SWAP"} <= ids and not {"UP-OUT", "UP-NOWHERE"} & ids
    assert store.imports().loc[0, ["rows_in", "rows_out", "rows_rejected", "rows_dropped"]].tolist() == [4, 2, 0, 2]
    # The box is empty again: the same file is not read a second time (nothing contradicts the message).
    assert at.file_uploader[0].value is None
    assert not [e for e in at.dataframe if e.proto.editing_mode]
    assert not at.error


def test_an_edit_saves_a_version_and_shows_in_the_history(db_url):
    at = login(data_page())
    event_id = at.selectbox(key="detail-event").value
    key = f"edit-{event_id}-v1"
    at.text_area(key=f"{key}-notes").input("checked against a second report")
    at.text_input(key=f"{key}-reason").input("second report")
    next(b for b in at.button if b.label == "Save changes").click().run()
    assert_clean(at)
    assert any(f"{event_id} saved" in s.value.replace("\\", "") for s in at.success)
    store = open_store(db_url)
    assert store.get_event(event_id)["notes"] == "checked against a second report"
    history = next(d.value for d in at.dataframe if "changed (before → after)" in d.value.columns)
    assert history["who"].tolist() == ["system", "alice"] and history["why"].iloc[1] == "second report"


def test_an_edit_of_a_stale_version_is_refused_in_the_page(db_url):
    at = login(data_page())
    event_id = at.selectbox(key="detail-event").value
    key = f"edit-{event_id}-v1"
    at.text_area(key=f"{key}-notes").input("alice's reading")
    # Meanwhile bob saves a change to the same event (another session, another process: the same database).
    store = open_store(db_url)
    store.update_event(event_id, {"notes": "bob's reading"}, expected_version=1, user="bob")
    next(b for b in at.button if b.label == "Save changes").click().run()
    assert any("changed by someone else" in e.value and "bob" in e.value for e in at.error), [e.value for e in at.error]
    assert store.get_event(event_id)["notes"] == "bob's reading"


def _store_with_a_likely_duplicate(db_url):
    """The bundled events plus DUP-A and DUP-B: one real event filed twice, a day apart (a likely duplicate)."""
    store = open_store(db_url)
    real = load_events()
    base = real.loc[~real["is_aggregate"] & (real["adm2_pcode"] != "")].iloc[[0, 0]].reset_index(drop=True)
    base["event_id"] = ["DUP-A", "DUP-B"]
    base["source_url"] = ["https://example.org/claim", "https://example.org/confirmation"]
    base["claim_status"] = ["self-claimed", "officially-confirmed"]
    base["event_date"] = pd.to_datetime(["2025-01-01", "2025-01-02"]).astype(base["event_date"].dtype)
    store.import_events(base, user="setup", file_name="dups.csv", sha256="5" * 64, fmt="project")
    return store


def _side_by_side(at: AppTest, *ids: str) -> list[pd.DataFrame]:
    return [d.value for d in at.dataframe if set(d.value.columns) == set(ids)]


def test_likely_duplicates_side_by_side_and_merge(db_url):
    store = _store_with_a_likely_duplicate(db_url)
    at = login(data_page())
    side = _side_by_side(at, "DUP-A", "DUP-B")
    assert side, "the pair is shown side by side"
    assert side[0].loc["Date", "DUP-A"] == "1 Jan 2025"
    next(b for b in at.button if b.label == "Merge: keep DUP-A").click().run()
    assert_clean(at)
    assert any("DUP-B merged into DUP-A" in s.value.replace("\\", "") for s in at.success)
    assert store.get_event("DUP-B")["merged_into"] == "DUP-A"
    assert store.sources("DUP-A")["url"].tolist() == ["https://example.org/claim", "https://example.org/confirmation"]
    assert store.get_event("DUP-A")["claim_status"] == "officially-confirmed"


def test_an_editor_adds_a_source_report(db_url):
    at = login(data_page())
    event_id = at.selectbox(key="detail-event").value
    key = f"source-{event_id}"
    at.text_input(key=f"{key}-url").input("https://example.org/confirmation")
    at.text_input(key=f"{key}-title").input("Ministry confirms the attack")
    at.selectbox(key=f"{key}-claim").set_value("officially-confirmed")
    next(b for b in at.button if b.label == "Add the source").click().run()
    assert_clean(at)
    assert any(f"Source added to {event_id}" in s.value.replace("\\", "") for s in at.success)
    sources = open_store(db_url).sources(event_id)
    assert sources.iloc[-1][["url", "claim_status", "added_by"]].tolist() == [
        "https://example.org/confirmation", "officially-confirmed", "alice",
    ]  # fmt: skip


def test_an_editor_marks_a_likely_duplicate_as_two_different_events(db_url):
    store = _store_with_a_likely_duplicate(db_url)
    at = login(data_page())
    assert _side_by_side(at, "DUP-A", "DUP-B")
    button = at.button(key="distinct-DUP-A-DUP-B")
    assert button.label == "Not the same event" and button.disabled  # a reason first
    at.text_input(key="distinct-DUP-A-DUP-B-why").input("two ambushes on two roads").run()
    at.button(key="distinct-DUP-A-DUP-B").click().run()
    assert_clean(at)
    assert any("DUP-A and DUP-B marked as two different events" in s.value.replace("\\", "") for s in at.success)
    assert store.distinct_pairs() == {("DUP-A", "DUP-B")}
    for event_id in ("DUP-A", "DUP-B"):
        last = store.history(event_id).iloc[-1]
        assert [last["action"], last["user"], last["reason"]] == ["distinct", "alice", "two ambushes on two roads"]
    assert not _side_by_side(at, "DUP-A", "DUP-B")  # the pair is no longer offered
    assert not [b for b in at.button if b.key == "distinct-DUP-A-DUP-B"]
    assert {"DUP-A", "DUP-B"} <= set(at.dataframe[0].value["event_id"])  # both events are still listed
    assert not _side_by_side(data_page(), "DUP-A", "DUP-B")  # nor to a visitor in another session


def test_a_visitor_sees_likely_duplicates_without_merge_or_dismiss_buttons(db_url):
    _store_with_a_likely_duplicate(db_url)
    at = data_page()
    assert_clean(at)
    assert _side_by_side(at, "DUP-A", "DUP-B")
    labels = [b.label for b in at.button]
    assert "Not the same event" not in labels and not [x for x in labels if x.startswith("Merge")]
    assert not [t for t in at.text_input if t.key.startswith("distinct-")]


def test_the_review_shows_whole_reasons_and_unit_names_while_keeping_p_codes(db_url):
    at = data_page()
    at.file_uploader[0].set_value(("mixed.csv", UPLOAD, "text/csv")).run()
    assert_clean(at)
    review = next(e for e in at.dataframe if e.proto.editing_mode)
    table = review.value.set_index("event_id")
    # The full reason, both checks of it, is in the frame shown (not cut to a column's width).
    longest = "latitude/longitude: (36.29, 59.6) is outside Afghanistan; location: the place could not be resolved"
    assert table.loc["UP-OUT", "review_note"] == longest
    assert (
        table.loc["UP-SWAP", "review_note"] == "latitude/longitude: swapped (got latitude 69.4, longitude 35.4), fixed"
    )
    # ... and the rows are tall enough to show it wrapped in the "Why" column (st.data_editor wraps above 64 px).
    config = json.loads(review.proto.columns)
    assert config["review_note"]["width"] == WHY_WIDTH_PX
    lines = math.ceil(len(longest) / WHY_CHARS_PER_LINE)
    assert review.proto.row_height > 64 and review.proto.row_height >= LINE_PX * lines
    # The cells keep P-codes (the events store them); the reader sees names with the P-code after.
    assert table.loc["UP-SWAP", ["adm1_pcode", "adm2_pcode"]].tolist() == ["AF08", "AF0801"]
    labels = {
        column: {o["value"]: o["label"] for o in config[column]["type_config"]["options"]}
        for column in ("adm1_pcode", "adm2_pcode")
    }
    assert labels["adm1_pcode"]["AF08"] == "Panjshir (Panjsher) · AF08"
    assert labels["adm1_pcode"]["AF32"] == "Herat (Hirat) · AF32"
    assert labels["adm2_pcode"]["AF0801"] == "Bazarak, Panjshir · AF0801"
    assert len(labels["adm1_pcode"]) == 34 and len(labels["adm2_pcode"]) == 399
    assert (config["adm1_pcode"]["label"], config["adm2_pcode"]["label"]) == ("Province", "District")
