"""``python -m geo db ...`` and the commands that read the database, on SQLite and PostgreSQL + PostGIS."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pytest

from geo import settings
from geo.auth import verify_password
from geo.cli import main
from geo.events import load_events
from geo.store import Store, open_store

REPO = settings.REPO_ROOT
INGEST = REPO / "tests" / "data" / "ingest"


def db(url: str, *args: str) -> list[str]:
    return ["db", "--database", url, *args]


def run_ok(capsys, argv: list[str]) -> str:
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def test_init_seeds_once(store_url, capsys):
    out = run_ok(capsys, db(store_url, "init"))
    assert "198 events" in out and "import #1 of reported_events.csv by system" in out
    assert "already set up" in run_ok(capsys, db(store_url, "init"))


def test_import_adds_a_file_once_and_records_it(store_url, capsys):
    out = run_ok(capsys, db(store_url, "import", str(INGEST / "acled_sample.csv"), "--user", "alice"))
    assert "by alice: 10 rows in, 10 events added, 0 rejected" in out
    assert Store(store_url).count() == 198 + 10
    # The same file again: every row is already there, so nothing is added and each row says why.
    out = run_ok(capsys, db(store_url, "import", str(INGEST / "acled_sample.csv"), "--user", "bob"))
    assert "10 rows in, 0 events added, 10 rejected" in out and "is already in the loaded events" in out
    imports = Store(store_url).imports()
    assert imports["user"].tolist() == ["bob", "alice", "system"]
    assert (
        imports.loc[1, "sha256"] == __import__("hashlib").sha256((INGEST / "acled_sample.csv").read_bytes()).hexdigest()
    )


def test_an_event_outside_afghanistan_is_not_stored(store_url, tmp_path, capsys):
    src = tmp_path / "mixed.csv"
    src.write_text(
        "event_id,event_date,group,location,latitude,longitude,fatalities\n"
        "OUT-1,2024-06-01,NRF,Mashhad,36.29,59.6,2\n"
        "IN-1,2024-06-02,NRF,Khinj district,,,1\n",
        encoding="utf-8",
    )
    rejects = tmp_path / "rejects.csv"
    out = run_ok(capsys, db(store_url, "import", str(src), "--user", "alice", "--rejects", str(rejects)))
    assert "2 rows in, 1 events added, 1 rejected" in out
    assert "OUT-1: location: not placed in Afghanistan" in out and "outside Afghanistan" in out
    ids = set(Store(store_url).event_ids())
    assert "IN-1" in ids and "OUT-1" not in ids
    listed = pd.read_csv(rejects, dtype=str, keep_default_na=False)
    assert listed["event_id"].tolist() == ["OUT-1"] and "outside Afghanistan" in listed.loc[0, "reason"]


def test_export_then_import_into_an_empty_database_gives_the_same_events(store_url, tmp_path, capsys):
    open_store(store_url)
    backup = tmp_path / "backup.csv"
    assert "wrote 198 events" in run_ok(capsys, db(store_url, "export", "-o", str(backup)))
    other = f"sqlite:///{tmp_path / 'restored.sqlite'}"
    run_ok(capsys, db(other, "init", "--empty"))
    run_ok(capsys, db(other, "import", str(backup), "--user", "restore"))
    before = Store(store_url).read_events()
    after = Store(other).read_events()
    # Ingest reviews likely duplicates again; the events themselves are the same.
    cols = [c for c in before.columns if c not in ("needs_review", "review_note")]
    pd.testing.assert_frame_equal(after[cols], before[cols])


def test_export_filters_and_geojson(store_url, tmp_path, capsys):
    out_file = tmp_path / "nrf.geojson"
    out = run_ok(capsys, db(store_url, "export", "-o", str(out_file), "--group", "NRF"))
    data = json.loads(out_file.read_text(encoding="utf-8"))
    n_nrf = int((load_events()["group"] == "NRF").sum())
    assert f"wrote {n_nrf} events" in out and len(data["features"]) == n_nrf


def test_history_and_revert_from_the_command_line(store_url, capsys):
    store = open_store(store_url)
    event_id = load_events()["event_id"].iloc[7]
    before = store.get_event(event_id)["notes"]
    store.update_event(event_id, {"notes": "re-read the claim"}, expected_version=1, user="alice", reason="typo")
    out = run_ok(capsys, db(store_url, "history", event_id))
    assert "v2 edit" in out and "by alice (typo)" in out and '"re-read the claim"' in out
    out = run_ok(capsys, db(store_url, "revert", event_id, "--to", "1", "--user", "bob"))
    assert "saved as version 3" in out
    assert store.get_event(event_id)["notes"] == before
    history = json.loads(run_ok(capsys, db(store_url, "history", event_id, "--json")))
    assert [h["action"] for h in history] == ["create", "edit", "revert"] and history[2]["user"] == "bob"


def test_errors_are_one_line(store_url, capsys):
    open_store(store_url)
    assert main(db(store_url, "history", "NO-SUCH")) == 2
    assert "no event 'NO-SUCH'" in capsys.readouterr().err
    assert main(db(store_url, "revert", load_events()["event_id"].iloc[0], "--to", "1", "--user", "x")) == 2
    assert "expected an earlier version" in capsys.readouterr().err


def test_summary_reads_the_database_and_equals_the_file(store_url, capsys):
    open_store(store_url)
    args = ["--group", "NRF", "--start", "2024-03-01", "--end", "2025-03-31"]
    from_db = json.loads(run_ok(capsys, ["summary", "--database", store_url, *args]))
    from_file = json.loads(run_ok(capsys, ["summary", "--events", str(settings.DEFAULT_EVENTS_FILE), *args]))
    assert from_db == from_file and from_db["events"] > 0
    # An edit in the database shows in the next summary.
    store = Store(store_url)
    nrf = store.read_events().query("group == 'NRF' and event_date >= '2024-03-01' and event_date <= '2025-03-31'")
    target = nrf.iloc[0]
    store.delete_event(target["event_id"], expected_version=1, user="alice", reason="duplicate")
    again = json.loads(run_ok(capsys, ["summary", "--database", store_url, *args]))
    assert again["events"] == from_db["events"] - 1


def test_hash_password_makes_a_usable_editor_entry(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", __import__("io").StringIO("s3cret pass\n"))
    out = run_ok(capsys, ["db", "hash-password", "alice", "--password-stdin"]).strip()
    name, _, encoded = out.partition(":")
    assert name == "alice" and verify_password("s3cret pass", encoded) and not verify_password("other", encoded)


def test_the_default_database_is_created_on_first_use_without_set_up(tmp_path):
    """A real process with no database configured: the SQLite file appears, seeded, at the settings path."""
    env = {k: v for k, v in os.environ.items() if k not in (settings.DATABASE_ENV, settings.EVENTS_ENV)}
    code = (
        "import sys, json; from geo import settings; from pathlib import Path;"
        f"settings.DEFAULT_DATABASE_FILE = Path({str(tmp_path / 'var' / 'events.sqlite')!r});"
        "from geo.cli import main; sys.exit(main(['summary']))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["events"] > 0
    assert (tmp_path / "var" / "events.sqlite").is_file()
    assert Store(f"sqlite:///{tmp_path / 'var' / 'events.sqlite'}").count() == 198


@pytest.mark.parametrize("flag", ["--events", "--database"])
def test_events_and_database_cannot_be_given_together(flag, capsys):
    with pytest.raises(SystemExit):
        main(["summary", "--events", "x.csv", "--database", "sqlite:////tmp/x.sqlite"])
    assert "not allowed with argument" in capsys.readouterr().err
