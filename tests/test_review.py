"""geo.review on real ingest results: what starts unticked, what cannot be stored, how review edits apply."""

from __future__ import annotations

import pandas as pd

from geo import settings
from geo.events import load_events
from geo.ingest import ingest
from geo.review import apply_review, duplicate_pairs, edited_table, initial_keep, review_table, split_unplaced
from geo.validate import likely_duplicates

UPLOAD = (settings.REPO_ROOT / "tests" / "data" / "upload_review.csv").read_bytes()


def result():
    return ingest(UPLOAD, name="mixed.csv")


def test_rows_failing_a_location_check_start_unticked_and_why_comes_first():
    table = review_table(result().events)
    assert list(table.columns)[:2] == ["review_note", "keep"]
    keep = dict(zip(table["event_id"], table["keep"], strict=True))
    assert keep == {"UP-OUT": False, "UP-NOWHERE": False, "UP-SWAP": True}
    assert "outside Afghanistan" in table.set_index("event_id").loc["UP-OUT", "review_note"]


def test_an_out_of_country_row_ticked_by_hand_is_still_not_storable():
    events = result().events
    table = review_table(events)
    row = int(table.index[table["event_id"] == "UP-OUT"][0])
    edited = edited_table(table, {"edited_rows": {str(row): {"keep": True}}, "added_rows": [], "deleted_rows": []})
    kept, dropped = apply_review(events, edited)
    assert dropped == 1  # UP-NOWHERE, still unticked
    storable, refused = split_unplaced(kept)
    assert refused["event_id"].tolist() == ["UP-OUT"]
    assert refused.loc[0, "reason"].startswith("location: not placed in Afghanistan")
    assert set(storable["event_id"]) == {"UP-GOOD", "UP-SWAP"}


def test_a_corrected_row_is_stored_with_its_correction():
    events = result().events
    table = review_table(events)
    row = int(table.index[table["event_id"] == "UP-OUT"][0])
    fix = {"keep": True, "adm1_pcode": "AF32", "adm2_pcode": "AF3201", "latitude": 34.35, "longitude": 62.2,
           "event_date": "2024-06-01T00:00:00"}  # fmt: skip
    kept, _ = apply_review(events, edited_table(table, {"edited_rows": {row: fix}}))
    storable, refused = split_unplaced(kept)
    assert refused.empty
    got = storable.set_index("event_id").loc["UP-OUT"]
    assert (got["adm1_pcode"], got["latitude"], bool(got["needs_review"])) == ("AF32", 34.35, False)
    assert got["event_date"] == pd.Timestamp("2024-06-01")


def test_initial_keep_without_review_notes_keeps_everything():
    assert initial_keep(pd.DataFrame({"event_id": ["a"]})).tolist() == [True]


def test_duplicate_pairs_agree_with_the_ingest_review_rule_on_the_bundled_events():
    events = load_events()
    pairs = duplicate_pairs(events)
    notes = likely_duplicates(events, exclude=events["is_aggregate"])
    flagged = set(events.loc[notes != "", "event_id"])
    assert len(pairs) > 0
    assert set(pairs["first"]) | set(pairs["second"]) == flagged
