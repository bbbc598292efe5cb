"""The batch pipeline: ingest → geocode → assign → aggregate, in memory or on a dask cluster.

:func:`run_pipeline` reads an event file (ACLED, UCDP GED, the project's CSV,
GeoJSON or free text), validates and geocodes it with :func:`geo.ingest.ingest`
(which places coordinates with the point-in-district join and place texts with
the gazetteer), and counts the events per district with
:func:`geo.aggregate.aggregate_by_district`.

Engines
-------
``"memory"``
    One process: ``ingest`` then ``aggregate_by_district``.
``"dask"``
    The rows are split into ``npartitions`` pieces in file order, each piece is
    ingested and geocoded on a ``dask.distributed`` worker (a ``LocalCluster``
    on this machine by default, or the cluster whose scheduler address is
    given), the per-district aggregates of the pieces are computed on the
    workers with ``dask.dataframe`` and combined. The few checks that look
    across rows are made global again on the client, so the result is the same
    as the memory engine's, row for row:

    - an ``event_id`` first seen in an earlier piece is passed to the later
      piece as already known, and its reject reason is rewritten to name the
      global first row (``"event_id: 'X' repeats row N"``);
    - reject ``source_row`` numbers are made global;
    - likely duplicates (same group, district, dates within a day) are
      recomputed over all events and the review notes corrected.

    GeoJSON, free-text and compiled-report ("reported") inputs are ingested in
    one piece (their readers need the whole file); the aggregation still runs
    on the cluster.

Workers need this package, its Python dependencies and the boundary and
gazetteer files (``AFGMAP_BOUNDARIES``/``AFGMAP_GAZETTEER``); each worker loads
them once.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from geo.aggregate import AGGREGATE_COLUMNS, aggregate_by_district
from geo.errors import InputError
from geo.groups import GROUPS
from geo.tables import csv_bytes, read_csv_table
from geo.validate import join_reasons, likely_duplicates

#: The engines :func:`run_pipeline` accepts.
ENGINES: tuple[str, ...] = ("memory", "dask")

#: Rows per piece when ``npartitions`` is not given (dask engine).
ROWS_PER_PARTITION = 50_000

# Formats whose reader needs the whole input: ingested as one piece.
_WHOLE_FILE_FORMATS = ("geojson", "text", "reported")

# The input column holding the event id, per format (see geo.ingest's mappings), and the prefix the mapping adds.
_ID_COLUMNS = {
    "project": (("event_id",), ""),
    "acled": (("event_id_cnty",), ""),
    "ucdp": (("id", "ucdp_ged_id"), "UCDP-"),
}

_KNOWN_ID = re.compile(r"event_id: ('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\") is already in the loaded events")
_REPEATS_ROW = re.compile(r"(event_id: (?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\") repeats row )(\d+)")


def run_pipeline(
    source: pd.DataFrame | Path | str | bytes,
    *,
    engine: str = "memory",
    scheduler: str | None = None,
    npartitions: int | None = None,
    workers: int | None = None,
    processes: bool = True,
    fmt: str = "auto",
    max_bytes: int | None = None,
    today: dt.date | None = None,
    with_rejects: bool = False,
    progress: bool = False,
):
    """Ingest, geocode, assign and aggregate events; the same result with either engine.

    Parameters
    ----------
    source : pandas.DataFrame, path-like or bytes
        An event file, its bytes, or a frame of its rows (all values as
        written; it is serialised as CSV for the reader).
    engine : {"memory", "dask"}
        Where the work runs (see the module docstring).
    scheduler : str, optional
        Dask scheduler address (``tcp://host:8786``); default: a ``LocalCluster``.
    npartitions : int, optional
        Pieces for the dask engine (default: one per :data:`ROWS_PER_PARTITION`
        rows, at least one per worker).
    workers : int, optional
        Workers of the ``LocalCluster`` (default: one per core).
    processes : bool, default True
        ``LocalCluster`` workers as processes (True, parallel Python) or threads.
    fmt : str, default "auto"
        The input format, as for :func:`geo.ingest.ingest`.
    max_bytes : int, optional
        Refuse larger inputs (default: no limit; the app's upload limit does not apply to batch runs).
    today : datetime.date, optional
        Dates after this day are rejected (default: today, UTC).
    with_rejects : bool, default False
        Also return the rejected rows.
    progress : bool, default False
        Progress bars (memory engine: the geocoder's; dask engine: the cluster's).

    Returns
    -------
    (events, aggregates) or (events, aggregates, rejects)
        ``events``: the typed events as :func:`geo.ingest.ingest` returns them;
        ``aggregates``: :func:`geo.aggregate.aggregate_by_district` of them;
        ``rejects``: the rejected rows with ``source_row`` and ``reason``.

    Raises
    ------
    InputError
        Unknown engine, unreadable input (as :func:`geo.ingest.ingest`).

    Examples
    --------
    >>> from geo import settings
    >>> events, agg = run_pipeline(settings.SOURCE_EVENTS_DIR / "ucdp_ged_afg_2001_2018_subset.csv")
    >>> len(events) > 300, int(agg["events"].sum()) == int((events["adm2_pcode"] != "").sum())
    (True, True)
    """
    if engine not in ENGINES:
        raise InputError(f"engine: expected one of {list(ENGINES)}, got {engine!r}")
    if npartitions is not None and npartitions < 1:
        raise InputError(f"npartitions: expected a positive number, got {npartitions}")
    data, name = _source_bytes(source)
    today = today or dt.datetime.now(dt.UTC).date()
    limit = max_bytes if max_bytes is not None else sys.maxsize
    if engine == "memory":
        from geo.ingest import ingest

        result = ingest(data, fmt=fmt, name=name, max_bytes=limit, today=today, progress=progress)
        events, rejects = result.events, result.rejects
        aggregates = aggregate_by_district(events)
    else:
        events, rejects, aggregates = _run_dask(
            data, name=name, fmt=fmt, max_bytes=limit, today=today, scheduler=scheduler,
            npartitions=npartitions, workers=workers, processes=processes, progress=progress,
        )  # fmt: skip
    return (events, aggregates, rejects) if with_rejects else (events, aggregates)


def combine_aggregates(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Combine per-piece :func:`geo.aggregate.aggregate_by_district` frames into the whole's.

    Events and fatalities add up, the date span widens, the group lists unite
    (in :data:`geo.groups.GROUPS` order).

    Examples
    --------
    >>> a = pd.DataFrame({"adm1_pcode": ["AF08"], "adm2_pcode": ["AF0801"], "events": [2], "fatalities": [3],
    ...     "first_date": pd.to_datetime(["2024-01-02"]), "last_date": pd.to_datetime(["2024-02-01"]), "groups": ["NRF"]})
    >>> b = a.assign(events=[1], fatalities=[0], first_date=pd.to_datetime(["2023-05-01"]), groups=["AFF, Unknown"])
    >>> row = combine_aggregates([a, b]).iloc[0]
    >>> int(row["events"]), int(row["fatalities"]), str(row["first_date"].date()), row["groups"]
    (3, 3, '2023-05-01', 'NRF, AFF, Unknown')
    """
    parts = [p for p in parts if len(p)]
    if not parts:
        return aggregate_by_district(_EMPTY_EVENTS())
    both = pd.concat(parts, ignore_index=True)
    grouped = both.groupby(["adm1_pcode", "adm2_pcode"], sort=True)

    def union(values: pd.Series) -> str:
        present = {g.strip() for v in values for g in str(v).split(",") if g.strip()}
        return ", ".join(g for g in GROUPS if g in present)

    out = pd.DataFrame(
        {
            "events": grouped["events"].sum().astype("int64"),
            "fatalities": grouped["fatalities"].sum().astype("int64"),
            "first_date": grouped["first_date"].min(),
            "last_date": grouped["last_date"].max(),
            "groups": grouped["groups"].agg(union),
        }
    ).reset_index()
    out["groups"] = out["groups"].astype(parts[0]["groups"].dtype)
    return out[list(AGGREGATE_COLUMNS)]


def assign_points_dask(frame, *, lon_column: str = "longitude", lat_column: str = "latitude", npartitions: int = 4):
    """Assign the points of a (dask) frame to districts on the cluster; a dask-geopandas GeoDataFrame comes back.

    The partitioned form of :func:`geo.pointindex.assign_points`: every
    partition gets ``adm1_pcode``, ``adm2_pcode`` and ``assign_note`` (the same
    values, border rule and notes) and a point geometry in WGS84. Each worker
    builds the point index once. Run it inside a ``distributed.Client`` context
    to use a cluster (else dask's local scheduler is used).

    Parameters
    ----------
    frame : pandas.DataFrame or dask.dataframe.DataFrame
        With longitude and latitude columns (numbers; NaN allowed).
    lon_column, lat_column : str
        The coordinate columns.
    npartitions : int, default 4
        Partitions when ``frame`` is a pandas frame.

    Returns
    -------
    dask_geopandas.GeoDataFrame
        ``frame``'s columns plus ``adm1_pcode, adm2_pcode, assign_note, geometry``.

    Examples
    --------
    >>> pts = pd.DataFrame({"longitude": [69.51519, 62.19967, 51.39], "latitude": [35.31292, 34.34817, 35.69]})
    >>> assign_points_dask(pts, npartitions=2).compute()["adm2_pcode"].tolist()  # Bazarak, Herat, Tehran
    ['AF0801', 'AF3201', '']
    """
    import dask.dataframe as dd
    import dask_geopandas

    from geo.crs import WGS84

    for col in (lon_column, lat_column):
        if col not in frame.columns:
            raise InputError(f"no column {col!r}; columns are {list(frame.columns)}", field=col)
    ddf = frame if isinstance(frame, dd.DataFrame) else dd.from_pandas(frame, npartitions=npartitions)
    meta = _assign_partition(ddf._meta, lon_column, lat_column)
    placed = ddf.map_partitions(_assign_partition, lon_column, lat_column, meta=meta)
    geometry = dask_geopandas.points_from_xy(placed, lon_column, lat_column, crs=WGS84)
    return dask_geopandas.from_dask_dataframe(placed, geometry=geometry)


def _assign_partition(part: pd.DataFrame, lon_column: str, lat_column: str) -> pd.DataFrame:
    from geo.pointindex import default_index

    lon = pd.to_numeric(part[lon_column], errors="coerce").to_numpy(dtype="float64")
    lat = pd.to_numeric(part[lat_column], errors="coerce").to_numpy(dtype="float64")
    if len(part):
        res = default_index().assign(lon, lat)
    else:  # dask's empty meta frame: the right columns without building the index
        res = pd.DataFrame(
            {c: pd.Series([], dtype=pd.Series([""]).dtype) for c in ("adm1_pcode", "adm2_pcode", "assign_note")}
        )
    res.index = part.index
    return part.assign(adm1_pcode=res["adm1_pcode"], adm2_pcode=res["adm2_pcode"], assign_note=res["assign_note"])


# -- the dask engine ------------------------------------------------------------------------------


def _run_dask(data, *, name, fmt, max_bytes, today, scheduler, npartitions, workers, processes, progress):
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    from geo.ingest import detect_format
    from geo.validate import check_size

    check_size(len(data), max_bytes=max_bytes, name=name)
    kind = detect_format(data, name=name) if fmt == "auto" else fmt
    pieces = _split(data, name=name, kind=kind, npartitions=npartitions, workers=workers)

    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        # Listen on this machine only; the scheduler's dashboard picks a free local port.
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=processes,
            dashboard_address="127.0.0.1:0",
            **({"host": "127.0.0.1"} if processes else {}),
        )
        client = Client(cluster)
    try:
        # Ship each piece to the cluster once (not inside the task graph).
        shipped = client.scatter([p["data"] for p in pieces])
        futures = client.map(
            _ingest_piece,
            shipped,
            [p["known"] for p in pieces],
            fmt=kind,
            name=name,
            max_bytes=max_bytes,
            today=today,
            pure=False,
        )
        if progress:
            from distributed import progress as show

            show(futures)
        # The aggregation runs on the cluster, where the events are: per-piece aggregates
        # with dask.dataframe, combined here.
        event_futures = client.map(_events_of, futures, pure=False)
        meta = client.submit(_head0, event_futures[0], pure=False).result()
        frames = dd.from_delayed(event_futures, meta=meta, verify_meta=False)
        partial = frames.map_partitions(aggregate_by_district, meta=aggregate_by_district(meta))
        aggregates = combine_aggregates([partial.compute()])
        parts = client.gather(futures)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    events, rejects = _stitch(parts, pieces)
    return events, rejects, aggregates


def _events_of(result) -> pd.DataFrame:
    return result.events


def _head0(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.head(0)


def _ingest_piece(data: bytes, known: list[str], *, fmt: str, name: str, max_bytes: int, today: dt.date):
    from geo.ingest import ingest

    return ingest(data, fmt=fmt, name=name, max_bytes=max_bytes, today=today, known_ids=known)


def _split(data: bytes, *, name: str, kind: str, npartitions: int | None, workers: int | None) -> list[dict]:
    """Cut the input into CSV pieces in file order, with each piece's row offset and the ids seen before it."""
    if kind in _WHOLE_FILE_FORMATS or kind not in _ID_COLUMNS:
        return [{"data": data, "offset": 0, "rows": None, "known": [], "first_row": {}}]
    table = read_csv_table(Path(name), data=data)
    n = len(table)
    if kind == "project" and _is_reported(table):
        return [{"data": data, "offset": 0, "rows": n, "known": [], "first_row": {}}]
    want = npartitions or max(workers or 1, -(-n // ROWS_PER_PARTITION))
    k = max(1, min(want, n))
    bounds = np.linspace(0, n, k + 1).astype(int)
    key = _raw_ids(table, kind)
    first_row: dict[str, int] = {}
    for i, v in enumerate(key):
        if v and v not in first_row:
            first_row[v] = i + 1
    prefix = _ID_COLUMNS[kind][1]
    pieces = []
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        part = table.iloc[a:b]
        ids = key[a:b]
        earlier = sorted({v for v in ids if v and first_row[v] <= a})
        pieces.append(
            {
                "data": csv_bytes(part),  # quotes every line break: a piece has the rows it was cut with
                "offset": int(a),
                "rows": int(b - a),
                "known": [prefix + v for v in earlier],
                "first_row": {v: first_row[v] for v in earlier},
                "ids": ids,
            }
        )
    return pieces


def _is_reported(table: pd.DataFrame) -> bool:
    cols = {str(c).strip().lower() for c in table.columns}
    return {"location_text", "province"} <= cols


def _raw_ids(table: pd.DataFrame, kind: str) -> np.ndarray:
    lookup = {str(c).strip().lower(): c for c in table.columns}
    out = np.full(len(table), "", dtype=object)
    for col in _ID_COLUMNS[kind][0]:
        if col in lookup:
            vals = table[lookup[col]].astype("string").fillna("").str.strip().to_numpy(dtype=object)
            out = np.where(out == "", vals, out)
    return out


def _stitch(parts, pieces) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Concatenate the pieces' results and make the cross-row checks global again."""
    if len(parts) == 1:
        return parts[0].events, parts[0].rejects
    reject_frames = []
    for part, piece in zip(parts, pieces, strict=True):
        rej = part.rejects.copy()
        if len(rej):
            local = rej["source_row"].to_numpy()
            keys = [piece["ids"][r - 1] for r in local]
            reasons = []
            for reason, key in zip(rej["reason"].astype(str), keys, strict=True):
                reason = _REPEATS_ROW.sub(lambda m, o=piece["offset"]: m.group(1) + str(int(m.group(2)) + o), reason)
                if key in piece["first_row"]:
                    reason = _KNOWN_ID.sub(
                        lambda m, g=piece["first_row"][key]: f"event_id: {m.group(1)} repeats row {g}", reason
                    )
                reasons.append(reason)
            rej["reason"] = pd.Series(reasons, index=rej.index, dtype=rej["reason"].dtype)
            rej["source_row"] = local + piece["offset"]
        reject_frames.append(rej)
    # Pieces without rejects carry empty columns of another dtype: leave them out of the concatenation.
    rejects = pd.concat([r for r in reject_frames if len(r)] or reject_frames[:1], ignore_index=True)

    frames = [p.events for p in parts]
    nonempty = [f for f in frames if len(f)]
    events = pd.concat(nonempty or frames[:1], ignore_index=True)
    # Likely duplicates: each piece noted those within itself; recompute over all events.
    local = np.concatenate(
        [likely_duplicates(f, exclude=f["is_aggregate"]) if len(f) else np.array([], dtype=object) for f in nonempty]
        or [np.array([], dtype=object)]
    )
    whole = likely_duplicates(events, exclude=events["is_aggregate"])
    changed = np.flatnonzero(local != whole)
    if changed.size:
        note = events["review_note"].astype(str).to_numpy(dtype=object).copy()
        for i in changed:
            note[i] = _strip_suffix(note[i], local[i])
        note[changed] = join_reasons(note[changed], whole[changed])
        events["review_note"] = pd.Series(note, dtype=events["review_note"].dtype)
        events["needs_review"] = pd.Series(note != "", dtype="bool")
    return events, rejects


def _strip_suffix(note: str, suffix: str) -> str:
    """``note`` without its last part ``suffix`` (parts are joined with ``"; "``)."""
    if not suffix:
        return note
    if note == suffix:
        return ""
    if note.endswith("; " + suffix):
        return note[: -len(suffix) - 2]
    return note


def _source_bytes(source) -> tuple[bytes, str]:
    if isinstance(source, pd.DataFrame):
        return csv_bytes(source), "frame.csv"
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), "upload.csv"
    path = Path(source)
    if not path.is_file():
        raise InputError(f"{path} does not exist or is not a file")
    return path.read_bytes(), str(path)


def _EMPTY_EVENTS() -> pd.DataFrame:  # noqa: N802 - a constant-like factory
    from geo.schema import empty_events

    frame = empty_events()
    frame["is_aggregate"] = pd.Series(dtype="bool")
    return frame


__all__ = ["ENGINES", "ROWS_PER_PARTITION", "assign_points_dask", "combine_aggregates", "run_pipeline"]
