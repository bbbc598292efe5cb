"""The batch pipeline (geo.engine): memory and dask engines give the same events, rejects and aggregates.

Inputs are real files: the UCDP GED subset (310 real events), the bundled events,
and the hostile ingest fixture (rows copied from real events, each broken in one
way, with a repeated event_id and likely duplicates that the dask engine's
pieces split apart).
"""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo import settings
from geo.aggregate import aggregate_by_district
from geo.engine import assign_points_dask, combine_aggregates, run_pipeline
from geo.errors import InputError
from geo.events import load_events

TODAY = dt.date(2026, 11, 23)
HOSTILE = settings.REPO_ROOT / "tests" / "data" / "ingest" / "hostile" / "bad_rows.csv"


@pytest.fixture(scope="module")
def cluster():
    """A 2-worker LocalCluster (worker processes), reached by its scheduler address like a remote cluster."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
    ) as lc:
        yield lc


def _same(a, b) -> None:
    events_a, agg_a, rej_a = a
    events_b, agg_b, rej_b = b
    pd.testing.assert_frame_equal(events_a, events_b)
    pd.testing.assert_frame_equal(agg_a, agg_b)
    pd.testing.assert_frame_equal(rej_a, rej_b)


def test_memory_pipeline_places_and_counts_the_ucdp_events(ucdp_csv):
    events, agg, rejects = run_pipeline(ucdp_csv, with_rejects=True, today=TODAY)
    raw = pd.read_csv(ucdp_csv, dtype=str)
    assert len(events) + len(rejects) == len(raw) == 310
    placed = events["adm2_pcode"] != ""
    assert placed.mean() > 0.9
    pd.testing.assert_frame_equal(agg, aggregate_by_district(events))
    assert int(agg["events"].sum()) == int((placed & ~events["is_aggregate"]).sum())
    assert agg["adm2_pcode"].is_unique and agg["adm2_pcode"].str.startswith(tuple(agg["adm1_pcode"].unique())).all()


def test_dask_engine_on_two_workers_matches_memory_across_split_duplicates(cluster):
    memory = run_pipeline(HOSTILE, with_rejects=True, today=TODAY)
    # 6 pieces of 3 rows: H-01 (row 1) and its repeat (row 12), and the likely duplicates
    # H-01/H-12 and H-13/H-14/H-15, fall in different pieces.
    dask = run_pipeline(
        HOSTILE, engine="dask", scheduler=cluster.scheduler_address, npartitions=6, with_rejects=True, today=TODAY
    )
    _same(memory, dask)
    events, _, rejects = dask
    assert "event_id: 'H-01' repeats row 1" in rejects["reason"].tolist()
    assert rejects.loc[rejects["reason"].str.contains("repeats row"), "source_row"].tolist() == [12]
    h12 = events.loc[events["event_id"] == "H-12", "review_note"].item()
    assert "likely duplicate of 'H-01'" in h12


def test_dask_engine_matches_memory_on_the_ucdp_subset(cluster, ucdp_csv):
    memory = run_pipeline(ucdp_csv, with_rejects=True, today=TODAY)
    dask = run_pipeline(
        ucdp_csv, engine="dask", scheduler=cluster.scheduler_address, npartitions=4, with_rejects=True, today=TODAY
    )
    _same(memory, dask)


def test_dask_engine_default_local_cluster_with_threads(bundled_events_csv):
    memory = run_pipeline(bundled_events_csv, with_rejects=True, today=TODAY)
    dask = run_pipeline(
        bundled_events_csv, engine="dask", workers=2, processes=False, npartitions=3, with_rejects=True, today=TODAY
    )
    _same(memory, dask)
    # The bundled group statements stay out of the district counts.
    assert memory[0]["is_aggregate"].sum() == 4
    assert int(memory[1]["events"].sum()) == int(((memory[0]["adm2_pcode"] != "") & ~memory[0]["is_aggregate"]).sum())


def test_dask_geopandas_assignment_on_the_cluster_matches_memory(cluster):
    import distributed
    import shapely

    from geo.boundaries import load_districts
    from geo.pointindex import assign_points

    districts = load_districts()
    rng = np.random.default_rng(11)
    minx, miny, maxx, maxy = districts.total_bounds
    vertices = shapely.get_coordinates(districts.geometry.to_numpy())[::211]  # real border vertices
    lon = np.concatenate([rng.uniform(minx - 0.1, maxx + 0.1, 3000), vertices[:, 0], [np.nan]])
    lat = np.concatenate([rng.uniform(miny - 0.1, maxy + 0.1, 3000), vertices[:, 1], [34.5]])
    frame = pd.DataFrame({"event_id": [f"P{i}" for i in range(lon.size)], "longitude": lon, "latitude": lat})
    with distributed.Client(cluster.scheduler_address):
        gdf = assign_points_dask(frame, npartitions=5).compute()
    expected = assign_points(lon, lat)
    pd.testing.assert_frame_equal(gdf[["adm1_pcode", "adm2_pcode", "assign_note"]].reset_index(drop=True), expected)
    assert gdf.crs.to_epsg() == 4326
    finite = np.isfinite(lon)
    np.testing.assert_array_equal(gdf.geometry.x.to_numpy()[finite], lon[finite])
    assert gdf["assign_note"].str.startswith("on a shared border").sum() > 10


def test_combine_aggregates_of_pieces_equals_the_whole():
    events = load_events()
    pieces = np.array_split(np.arange(len(events)), 4)
    parts = [aggregate_by_district(events.iloc[p]) for p in pieces]
    pd.testing.assert_frame_equal(combine_aggregates(parts), aggregate_by_district(events))
    assert combine_aggregates([]).empty


def test_a_frame_and_bytes_are_accepted_like_a_file(ucdp_csv):
    raw = pd.read_csv(ucdp_csv, dtype=str, keep_default_na=False).head(40)
    from_frame = run_pipeline(raw, today=TODAY)
    from_bytes = run_pipeline(raw.to_csv(index=False).encode("utf-8"), today=TODAY)
    pd.testing.assert_frame_equal(from_frame[0], from_bytes[0])
    assert len(from_frame[0]) == 40


def test_bad_options_and_inputs_fail_in_one_sentence(tmp_path):
    with pytest.raises(InputError, match="engine: expected one of \\['memory', 'dask'\\], got 'spark'"):
        run_pipeline(HOSTILE, engine="spark")
    with pytest.raises(InputError, match="npartitions: expected a positive number, got 0"):
        run_pipeline(HOSTILE, engine="dask", npartitions=0)
    with pytest.raises(InputError, match="does not exist"):
        run_pipeline(tmp_path / "missing.csv")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_pipeline_command_writes_events_aggregates_and_rejects(tmp_path, repo_root):
    out, agg, rej = tmp_path / "events.csv", tmp_path / "districts.csv", tmp_path / "rejects.csv"
    cmd = [
        sys.executable,
        "-m",
        "geo",
        "pipeline",
        str(HOSTILE),
        "-o",
        str(out),
        "--aggregates",
        str(agg),
        "--rejects",
        str(rej),
    ]
    done = subprocess.run(cmd, cwd=repo_root, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("18 rows in: 8 events") and "10 rejected" in done.stdout
    assert len(pd.read_csv(out)) == 8 and len(pd.read_csv(rej)) == 10
    assert pd.read_csv(agg)["events"].sum() > 0
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "geo",
            "pipeline",
            str(HOSTILE),
            "-o",
            str(out),
            "--scheduler",
            f"tcp://127.0.0.1:{_free_port()}",
        ],
        cwd=repo_root,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2
    assert bad.stderr.strip() == "error: --scheduler, --workers and --partitions need --engine dask"


def test_pipeline_command_help_names_the_scheduler_option(repo_root):
    done = subprocess.run(
        [sys.executable, "-m", "geo", "pipeline", "--help"], cwd=repo_root, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0
    assert "--scheduler ADDRESS" in done.stdout and "tcp://" in done.stdout


def test_docs_tell_how_to_point_the_engine_at_a_cluster(repo_root):
    readme = (Path(repo_root) / "benchmarks" / "README.md").read_text(encoding="utf-8")
    assert "--engine dask --scheduler tcp://" in readme
