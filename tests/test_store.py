"""The event store against a real SQLite file and a real PostgreSQL + PostGIS server (every test runs on both).

Concurrency is proved with real concurrent writers: threads sharing one store, and separate processes
each opening the database themselves.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import threading

import pandas as pd
import pytest
import sqlalchemy as sa

from geo import settings
from geo.errors import EventNotFoundError, InputError, SchemaError, StaleEditError, StoreError
from geo.events import load_events
from geo.filters import Filters, apply_filters
from geo.review import duplicate_pairs
from geo.store import SCHEMA_VERSION, STORE_COLUMNS, Store, open_store, sha256_bytes

N_BUNDLED = 198


def bundled_as_stored() -> pd.DataFrame:
    """The bundled file as the store returns it: same columns, review columns empty, sorted by date and id."""
    events = load_events().reindex(columns=list(STORE_COLUMNS))
    events["needs_review"] = False
    events["review_note"] = pd.Series("", index=events.index, dtype="string")
    return events.sort_values(["event_date", "event_id"]).reset_index(drop=True)


def new_events(prefix: str, n: int) -> pd.DataFrame:
    """``n`` real bundled (non-aggregate) events under new ids ``PREFIX-0..``."""
    real = load_events()
    real = real.loc[~real["is_aggregate"]].reset_index(drop=True)
    out = real.iloc[[i % len(real) for i in range(n)]].reset_index(drop=True)
    out["event_id"] = [f"{prefix}-{i}" for i in range(n)]
    return out


def test_first_open_seeds_the_bundled_events_and_reads_them_back_unchanged(store):
    assert store.count() == N_BUNDLED
    pd.testing.assert_frame_equal(store.read_events(), bundled_as_stored())
    imports = store.imports()
    assert len(imports) == 1
    assert imports.loc[0, ["file_name", "rows_in", "rows_out", "rows_rejected", "user"]].tolist() == [
        "reported_events.csv", N_BUNDLED, N_BUNDLED, 0, "system",
    ]  # fmt: skip
    assert imports.loc[0, "sha256"] == sha256_bytes(settings.DEFAULT_EVENTS_FILE.read_bytes())
    # Every event has its source report and a "create" history entry.
    event = load_events().iloc[0]
    sources = store.sources(event["event_id"])
    assert sources["url"].tolist() == [event["source_url"]]
    history = store.history(event["event_id"])
    assert history[["version", "action", "user"]].values.tolist() == [[1, "create", "system"]]


def test_opening_again_does_not_seed_twice(store_url):
    first = open_store(store_url)
    token = first.token()
    again = Store(store_url)  # a second process would build its own Store
    assert again.init() is None
    assert again.count() == N_BUNDLED and again.token() == token


@pytest.mark.parametrize(
    "filters",
    [
        Filters(groups=("NRF",)),
        Filters(groups=("NRF", "AFF"), start="2024-03-01", end="2025-03-31"),
        Filters(provinces=("AF08", "AF09"), exact_only=True),
        Filters(event_types=("Battles",), claim_statuses=("self-claimed",)),
    ],
)
def test_filters_run_in_the_database_and_match_the_file_filter(store, filters):
    in_db = apply_filters(store.read_events(filters), filters)
    in_file = apply_filters(bundled_as_stored(), filters)
    assert len(in_db) > 0
    pd.testing.assert_frame_equal(in_db.reset_index(drop=True), in_file.reset_index(drop=True))


def test_an_import_records_counts_history_and_sources(store):
    before = store.token()
    events = new_events("IMP", 5)
    events["needs_review"] = [True, False, False, False, False]
    events["review_note"] = pd.Series(["latitude/longitude: swapped, fixed", "", "", "", ""], dtype="string")
    record = store.import_events(
        events, user="alice", file_name="five.csv", sha256="ab" * 32, fmt="project", rows_rejected=2, rows_dropped=1
    )
    assert (record.rows_in, record.rows_out, record.rows_rejected, record.rows_dropped, record.needs_review) == (
        8, 5, 2, 1, 1,
    )  # fmt: skip
    assert "5 events added, 2 rejected, 1 dropped" in record.describe()
    assert store.count() == N_BUNDLED + 5
    assert store.token()[1] == before[1] + 1 == record.version
    stored = store.read_events().set_index("event_id")
    assert bool(stored.loc["IMP-0", "needs_review"]) and stored.loc["IMP-0", "review_note"].startswith("latitude")
    history = store.history("IMP-3")
    assert history.loc[0, "user"] == "alice" and history.loc[0, "import_id"] == record.import_id
    assert store.sources("IMP-3")["added_by"].tolist() == ["alice"]


def test_an_import_is_all_or_nothing(store):
    before_token, before_imports = store.token(), len(store.imports())
    # The last row reuses an id that is already stored: nothing of the import may stay.
    clash = new_events("ALL", 20)
    clash.loc[19, "event_id"] = load_events()["event_id"].iloc[5]
    with pytest.raises(StoreError, match=r"already in the database.*nothing was added"):
        store.import_events(clash, user="alice", file_name="clash.csv", sha256="0" * 64, fmt="project")
    # A value that breaks the schema: refused with row and field, nothing stored.
    bad = new_events("BAD", 3)
    bad["group"] = bad["group"].astype(object)
    bad.loc[2, "group"] = "Martians"
    with pytest.raises(SchemaError, match=r"row 3.*group"):
        store.import_events(bad, user="alice", file_name="bad.csv", sha256="0" * 64, fmt="project")
    assert store.count() == N_BUNDLED
    assert store.token() == before_token
    assert len(store.imports()) == before_imports
    assert not {"ALL-0", "BAD-0"} & set(store.event_ids())


def test_an_edit_is_versioned_and_a_stale_edit_is_refused(store):
    event_id = load_events()["event_id"].iloc[10]
    assert store.get_event(event_id)["version"] == 1
    v2 = store.update_event(event_id, {"fatalities": 4, "notes": "checked"}, expected_version=1, user="alice",
                            reason="second source")  # fmt: skip
    assert v2 == 2
    with pytest.raises(
        StaleEditError, match=r"changed by someone else.*edit by alice.*version 2.*you edited version 1"
    ):
        store.update_event(event_id, {"fatalities": 9}, expected_version=1, user="bob")
    assert store.get_event(event_id)["fatalities"] == 4  # bob's value was not written over alice's
    history = store.history(event_id)
    assert history["action"].tolist() == ["create", "edit"]
    assert history.loc[1, "changes"]["fatalities"] == [None, 4]
    assert history.loc[1, ["user", "reason"]].tolist() == ["alice", "second source"]


def test_an_edit_must_fit_the_schema(store):
    event_id = load_events()["event_id"].iloc[10]
    with pytest.raises(SchemaError, match="field 'fatalities'.*non-negative"):
        store.update_event(event_id, {"fatalities": -3}, expected_version=1, user="alice")
    with pytest.raises(SchemaError, match="field 'event_date'"):
        store.update_event(event_id, {"event_date": "yesterday"}, expected_version=1, user="alice")
    with pytest.raises(InputError, match="event_id"):
        store.update_event(event_id, {"event_id": "NEW"}, expected_version=1, user="alice")
    with pytest.raises(EventNotFoundError):
        store.update_event("NO-SUCH", {"notes": "x"}, expected_version=1, user="alice")
    assert store.get_event(event_id)["version"] == 1


def test_revert_restores_an_earlier_version_as_a_new_one(store):
    event = store.get_event(load_events()["event_id"].iloc[20])
    event_id = event["event_id"]
    store.update_event(event_id, {"fatalities": 7}, expected_version=1, user="alice")
    store.update_event(event_id, {"location": "Somewhere else", "admin2": ""}, expected_version=2, user="bob")
    store.delete_event(event_id, expected_version=3, user="carol", reason="wrong")
    assert event_id not in set(store.read_events()["event_id"])
    v = store.revert_event(event_id, to_version=1, user="dana")
    assert v == 5
    back = store.get_event(event_id)
    assert (back["fatalities"], back["location"], back["admin2"], back["deleted"]) == (
        event["fatalities"], event["location"], event["admin2"], False,
    )  # fmt: skip
    assert store.history(event_id)["action"].tolist() == ["create", "edit", "edit", "delete", "revert"]
    with pytest.raises(InputError, match="earlier version"):
        store.revert_event(event_id, to_version=5, user="dana")
    pd.testing.assert_frame_equal(store.read_events(), bundled_as_stored())


def test_merge_keeps_both_sources_and_the_strongest_claim(store):
    events = new_events("DUP", 2)
    events["claim_status"] = ["self-claimed", "officially-confirmed"]
    events["source_url"] = ["https://example.org/claim", "https://example.org/ministry"]
    store.import_events(events, user="alice", file_name="dup.csv", sha256="1" * 64, fmt="project")
    version = store.merge_events("DUP-0", "DUP-1", expected_versions=(1, 1), user="bob", reason="same ambush")
    kept, gone = store.get_event("DUP-0"), store.get_event("DUP-1")
    assert kept["claim_status"] == "officially-confirmed" and kept["version"] == version == 2
    assert gone["deleted"] and gone["merged_into"] == "DUP-0"
    assert store.sources("DUP-0")["url"].tolist() == ["https://example.org/claim", "https://example.org/ministry"]
    assert "DUP-1" not in set(store.read_events()["event_id"])
    assert store.history("DUP-1")["action"].tolist() == ["create", "merge"]
    with pytest.raises(StoreError, match="already merged"):
        store.merge_events("DUP-0", "DUP-1", expected_versions=(2, 2), user="bob")


def test_a_pair_judged_distinct_is_kept_with_history_on_both_events_and_no_longer_paired(store):
    events = new_events("TWO", 2)
    events["event_date"] = pd.to_datetime(["2030-05-01", "2030-05-02"]).astype(events["event_date"].dtype)
    events[["group", "adm1_pcode", "adm2_pcode"]] = ["NRF", "AF08", "AF0801"]
    store.import_events(events, user="alice", file_name="two.csv", sha256="6" * 64, fmt="project")
    pair = ("TWO-0", "TWO-1")
    assert pair in set(duplicate_pairs(store.read_events())[["first", "second"]].itertuples(index=False, name=None))
    assert store.distinct_pairs() == set()
    before = store.token()[1]
    # Given in either order, stored once, ids sorted.
    assert store.mark_distinct("TWO-1", "TWO-0", user="bob", reason="two posts, a day apart",
                               expected_versions=(1, 1)) == (2, 2)  # fmt: skip
    assert store.distinct_pairs() == {pair}
    assert store.token()[1] == before + 1
    log = store.distinct_log()
    assert log[["first_id", "second_id", "user", "reason"]].values.tolist() == [
        ["TWO-0", "TWO-1", "bob", "two posts, a day apart"]
    ]
    for event_id, other in (("TWO-0", "TWO-1"), ("TWO-1", "TWO-0")):
        last = store.history(event_id).iloc[-1]
        assert (last["version"], last["action"], last["user"], last["reason"]) == (
            2, "distinct", "bob", "two posts, a day apart",
        )  # fmt: skip
        assert last["changes"] == {"distinct_from": [None, other]}
        assert not store.get_event(event_id)["deleted"]
    shown = duplicate_pairs(store.read_events(), dismissed=store.distinct_pairs())
    assert pair not in set(shown[["first", "second"]].itertuples(index=False, name=None))
    # Both events are still there, unchanged but for the version.
    assert {"TWO-0", "TWO-1"} <= set(store.read_events()["event_id"])

    with pytest.raises(StoreError, match="already marked as different events by bob"):
        store.mark_distinct("TWO-0", "TWO-1", user="carol", reason="again")
    with pytest.raises(InputError, match="twice"):
        store.mark_distinct("TWO-0", "TWO-0", user="carol", reason="x")
    with pytest.raises(InputError, match="reason"):
        store.mark_distinct("TWO-0", load_events()["event_id"].iloc[0], user="carol", reason=" ")
    with pytest.raises(EventNotFoundError):
        store.mark_distinct("TWO-0", "NO-SUCH", user="carol", reason="x")
    assert store.history("TWO-0")["version"].tolist() == [1, 2]  # nothing written by the refusals


def test_marking_distinct_refuses_a_stale_or_retired_event(store):
    events = new_events("ST", 3)
    store.import_events(events, user="alice", file_name="st.csv", sha256="7" * 64, fmt="project")
    store.update_event("ST-1", {"fatalities": 9}, expected_version=1, user="bob")
    with pytest.raises(StaleEditError, match="bob"):
        store.mark_distinct("ST-0", "ST-1", user="carol", reason="different", expected_versions=(1, 1))
    store.delete_event("ST-2", expected_version=1, user="bob", reason="test row")
    with pytest.raises(StoreError, match="deleted or merged away"):
        store.mark_distinct("ST-0", "ST-2", user="carol", reason="different")
    assert store.distinct_pairs() == set()
    assert store.history("ST-0")["action"].tolist() == ["create"]


def test_a_schema_version_1_database_opens_and_gains_the_distinct_table(store_url):
    """A database written by the code before ``distinct_pairs`` existed (schema 1) is brought up, not refused."""
    store = open_store(store_url)
    with store.engine.begin() as conn:  # schema 1 = today's layout without distinct_pairs
        conn.execute(sa.text("DROP TABLE distinct_pairs"))
        conn.execute(sa.text("UPDATE store_meta SET schema_version = 1 WHERE id = 1"))
    store_id, version = store.token()
    again = Store(store_url)  # another process, opening the old file
    assert again.init() is None
    assert again.distinct_pairs() == set()
    with again.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT schema_version FROM store_meta")).scalar_one() == SCHEMA_VERSION
    assert again.token() == (store_id, version + 1) and again.count() == N_BUNDLED
    ids = load_events()["event_id"].iloc[:2].tolist()
    again.mark_distinct(*ids, user="alice", reason="different places")
    assert again.distinct_pairs() == {tuple(sorted(ids))}


def test_a_database_of_a_newer_schema_is_refused_by_name(store_url):
    store = open_store(store_url)
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE store_meta SET schema_version = :v WHERE id = 1"), {"v": SCHEMA_VERSION + 1})
    with pytest.raises(StoreError, match=f"schema version {SCHEMA_VERSION + 1}, this code expects {SCHEMA_VERSION}"):
        Store(store_url).init()


def test_a_second_report_is_added_as_a_source(store):
    event_id = load_events()["event_id"].iloc[12]
    before = store.token()
    source_id = store.add_source(
        event_id, url="https://example.org/ministry", title="Ministry confirms", publisher="example.org",
        published="2025-01-03", claim_status="officially-confirmed", user="alice",
    )  # fmt: skip
    sources = store.sources(event_id)
    assert sources["source_id"].tolist()[-1] == source_id and len(sources) == 2
    assert sources.iloc[-1][["claim_status", "added_by"]].tolist() == ["officially-confirmed", "alice"]
    assert store.token()[1] == before[1] + 1
    with pytest.raises(InputError, match="claim_status"):
        store.add_source(event_id, url="https://example.org/x", claim_status="rumour", user="alice")
    with pytest.raises(EventNotFoundError):
        store.add_source("NO-SUCH", url="https://example.org/x", user="alice")


def test_deleted_ids_stay_taken(store):
    event_id = load_events()["event_id"].iloc[3]
    store.delete_event(event_id, expected_version=1, user="alice", reason="duplicate")
    again = new_events("X", 1)
    again.loc[0, "event_id"] = event_id
    with pytest.raises(StoreError, match="already in the database"):
        store.import_events(again, user="bob", file_name="again.csv", sha256="2" * 64, fmt="project")


def test_events_without_an_id_get_one_from_their_import(store):
    events = new_events("ID", 2)
    events["event_id"] = ""
    record = store.import_events(events, user="alice", file_name="noid.csv", sha256="3" * 64, fmt="project")
    ids = {i for i in store.event_ids() if i.startswith(f"IMP{record.import_id}-")}
    assert ids == {f"IMP{record.import_id}-1", f"IMP{record.import_id}-2"}


def test_postgis_geometry_follows_the_coordinates(postgres_server):
    store = open_store(postgres_server.new_database())
    event = load_events().dropna(subset=["latitude"]).iloc[0]
    with store.engine.connect() as conn:
        x, y, srid = conn.execute(
            sa.text("SELECT ST_X(geom), ST_Y(geom), ST_SRID(geom) FROM events WHERE event_id = :e"),
            {"e": event["event_id"]},
        ).one()
    assert (round(x, 5), round(y, 5), srid) == (round(event["longitude"], 5), round(event["latitude"], 5), 4326)


# --------------------------------------------------------------------------------------- concurrency


def test_concurrent_edits_from_threads_never_lose_an_update(store):
    """8 threads add 1 to the same event's fatalities 5 times each, re-reading on a stale refusal."""
    event_id = load_events()["event_id"].iloc[30]
    store.update_event(event_id, {"fatalities": 0}, expected_version=1, user="setup")
    refusals = []

    def bump(worker: int) -> None:
        for _ in range(5):
            while True:
                current = store.get_event(event_id)
                try:
                    store.update_event(event_id, {"fatalities": current["fatalities"] + 1},
                                       expected_version=current["version"], user=f"w{worker}")  # fmt: skip
                    break
                except StaleEditError:
                    refusals.append(worker)

    threads = [threading.Thread(target=bump, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    final = store.get_event(event_id)
    assert final["fatalities"] == 40
    assert final["version"] == 2 + 40
    assert len(store.history(event_id)) == 42  # create, the setup edit, 40 increments: none lost, none doubled


def test_the_same_stale_edit_from_many_threads_succeeds_once(store):
    event_id = load_events()["event_id"].iloc[31]
    barrier = threading.Barrier(6)
    outcomes = []

    def edit(worker: int) -> None:
        barrier.wait()
        try:
            store.update_event(event_id, {"notes": f"by {worker}"}, expected_version=1, user=f"w{worker}")
            outcomes.append("saved")
        except StaleEditError:
            outcomes.append("refused")

    threads = [threading.Thread(target=edit, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["refused"] * 5 + ["saved"]
    assert store.get_event(event_id)["version"] == 2


def _import_in_process(url: str, prefix: str, n: int) -> int:
    """Run in a separate process: open the database there and import ``n`` new events."""
    store = open_store(url)
    return store.import_events(new_events(prefix, n), user=prefix, file_name=f"{prefix}.csv", sha256="4" * 64,
                               fmt="project").import_id  # fmt: skip


def test_eight_concurrent_importer_processes_lose_no_row(store_url):
    open_store(store_url)  # created and seeded before the race
    ctx = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(max_workers=8, mp_context=ctx) as pool:
        ids = list(pool.map(_import_in_process, [store_url] * 8, [f"P{i}" for i in range(8)], [300] * 8))
    store = Store(store_url)
    assert len(set(ids)) == 8
    assert store.count() == N_BUNDLED + 8 * 300
    stored = set(store.event_ids())
    assert all(f"P{i}-{j}" in stored for i in range(8) for j in range(300))
    imports = store.imports()
    assert sorted(imports.loc[imports["user"] != "system", "rows_out"].tolist()) == [300] * 8
    assert store.version() == 1 + 8


def test_two_processes_importing_the_same_ids_add_them_once(store_url):
    open_store(store_url)
    ctx = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(max_workers=2, mp_context=ctx) as pool:
        futures = [pool.submit(_import_in_process, store_url, "SAME", 500) for _ in range(2)]
        outcomes = []
        for f in futures:
            try:
                outcomes.append(f.result())
            except StoreError as exc:
                outcomes.append(str(exc))
    refused = [o for o in outcomes if isinstance(o, str)]
    assert len(refused) == 1 and "nothing was added" in refused[0]
    assert Store(store_url).count() == N_BUNDLED + 500


def _open_in_process(url: str) -> int:
    return open_store(url).count()


def test_four_processes_opening_a_new_database_at_once_seed_it_once(store_url):
    ctx = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(max_workers=4, mp_context=ctx) as pool:
        counts = list(pool.map(_open_in_process, [store_url] * 4))
    assert counts == [N_BUNDLED] * 4
    assert len(Store(store_url).imports()) == 1


def test_a_bad_database_url_is_one_clear_error():
    with pytest.raises(StoreError, match="expected a sqlite:/// or postgresql"):
        Store("mysql://x@y/z")
    with pytest.raises(StoreError, match="expected a SQLAlchemy URL"):
        Store("not a url")


def test_sqlite_text_that_is_not_utf8_text_is_still_read_with_its_row(tmp_path):
    """SQLite lets a text column hold bytes: the fast Arrow read falls back to reading them as text."""
    store = open_store(f"sqlite:///{tmp_path / 'events.sqlite'}")
    event_id = load_events()["event_id"].iloc[5]
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE events SET notes = X'FF', location = 7.5 WHERE event_id = :e"), {"e": event_id})
    events = store.read_events().set_index("event_id")
    assert len(events) == N_BUNDLED
    assert events.loc[event_id, "notes"] == str(b"\xff") and events.loc[event_id, "location"] == "7.5"
    expected = bundled_as_stored().set_index("event_id").drop(index=event_id)
    pd.testing.assert_frame_equal(events.drop(index=event_id), expected)
