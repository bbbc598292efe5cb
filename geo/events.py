"""Event files: reading them, and building the bundled default data.

The app shows the events in ``$AFGMAP_EVENTS`` (a CSV or GeoJSON file, or a
folder of them) if set, else in ``data/events/``. Every file must follow the
schema in :mod:`geo.schema`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from geo import settings
from geo.errors import InputError
from geo.groups import group_actor_name, normalize_group
from geo.schema import (
    EVENT_COLUMNS,
    PRECISION_DISTRICT,
    PRECISION_PROVINCE,
    aggregate_mask,
    validate_events,
)
from geo.tables import BAD_JSON_ESCAPE, BAD_TEXT_CHARS, MAX_COLUMNS, check_cell_sizes, load_json, read_csv_table

#: Columns of the compiled ``reported_events.csv`` that :func:`reported_to_schema` reads.
REPORTED_COLUMNS: tuple[str, ...] = (
    "event_id", "event_date", "date_precision", "group", "target", "event_type", "sub_event_type", "location_text",
    "province", "district", "fatalities", "claim_status", "source_url", "notes", "location_text_en", "injured",
    "source_title", "source_date",
)  # fmt: skip

#: File endings :func:`load_events` reads.
EVENT_FILE_SUFFIXES = (".csv", ".geojson", ".json")


def event_files(path: Path | str | None = None) -> list[Path]:
    """The event files at ``path`` (a file, or the files of a folder, sorted by name).

    Raises
    ------
    InputError
        When the path does not exist or a folder holds no event file.
    """
    p = Path(path) if path is not None else settings.events_path()
    if p.is_file():
        return [p]
    if p.is_dir():
        files = sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() in EVENT_FILE_SUFFIXES)
        if not files:
            raise InputError(f"no event files ({', '.join(EVENT_FILE_SUFFIXES)}) in folder {p}")
        return files
    raise InputError(f"event path {p} does not exist (set ${settings.EVENTS_ENV} to a file or folder of events)")


def read_event_file(path: Path | str) -> pd.DataFrame:
    """Read one event file (CSV in our schema, or a GeoJSON FeatureCollection of our export) as strings.

    CSV goes through :func:`geo.tables.read_csv_table` (UTF-8 with or without BOM,
    Windows-1256 or both, delimiter sniffed); GeoJSON through
    :func:`geo.tables.load_json`, one row per feature (its ``properties``).

    Raises
    ------
    InputError
        When the file is empty, binary, unreadable, in neither encoding, nested too
        deep, or a feature is not a Feature object (naming its row and field).
    """
    p = Path(path)
    if p.stat().st_size == 0:
        raise InputError(f"{p} is empty")
    if p.suffix.lower() not in (".geojson", ".json"):
        return read_csv_table(p)
    data = p.read_bytes()
    doc = load_json(data, name=str(p))
    feats = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(feats, list):
        raise InputError(f"{p} is not a GeoJSON FeatureCollection")
    rows = []
    columns: dict[str, None] = {}
    check_text = BAD_JSON_ESCAPE.search(data) is not None
    for i, feat in enumerate(feats, start=1):
        if not isinstance(feat, dict):
            raise InputError(
                f"expected a GeoJSON Feature object, got {type(feat).__name__}", row=i, field="feature", source=p.name
            )
        props = feat.get("properties")
        if props is None:
            props = {}
        if not isinstance(props, dict):
            raise InputError(
                f"expected an object, got {type(props).__name__}", row=i, field="properties", source=p.name
            )
        row = {str(k): _property_text(v) for k, v in props.items()}
        columns.update(dict.fromkeys(row))
        if len(columns) > MAX_COLUMNS:
            raise InputError(f"{p}: the features carry more than {MAX_COLUMNS:,} different property names")
        if check_text:
            for k, v in row.items():
                if BAD_TEXT_CHARS.search(k + (v or "")):
                    raise InputError(
                        "holds a NUL character or an unpaired surrogate (a \\u escape)", row=i, field=k, source=p.name
                    )
        rows.append(row)
    return pd.DataFrame(rows, columns=list(columns), dtype="string", index=pd.RangeIndex(len(rows)))


def _property_text(value: object) -> str | None:
    """A GeoJSON property as text: null stays missing, nested values as JSON, numbers as written."""
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def load_events(path: Path | str | None = None) -> pd.DataFrame:
    """Load and validate the events at ``path`` (default: :func:`geo.settings.events_path`).

    Parameters
    ----------
    path : path-like, optional
        A CSV/GeoJSON file or a folder of them.

    Returns
    -------
    pandas.DataFrame
        Typed events in schema order, with a boolean ``is_aggregate`` column
        (group statements that bundle many attacks; keep them out of counts and maps).

    Raises
    ------
    InputError, SchemaError
        Naming the file, the row and the field of the first problem.

    Examples
    --------
    >>> events = load_events()
    >>> {"event_id", "adm1_pcode", "is_aggregate"} <= set(events.columns)
    True
    """
    frames = []
    for f in event_files(path):
        raw = read_event_file(f)
        try:
            check_cell_sizes(raw)
            frames.append(validate_events(raw))
        except InputError as exc:
            raise exc.in_file(f.name) from exc
    events = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    dup = events["event_id"].duplicated(keep="first") & (events["event_id"] != "")
    if dup.any():
        pos = int(dup.to_numpy().nonzero()[0][0])
        raise InputError(f"duplicate event_id {events['event_id'].iloc[pos]!r}", row=pos + 1, field="event_id")
    return events


def reported_to_schema(reported: pd.DataFrame) -> pd.DataFrame:
    """Map the columns of ``reported_events.csv`` to the event schema (no geocoding yet).

    ``group`` becomes canonical (``Other:<name>`` → ``Other``, the name kept in
    ``actor1``); ``target`` → ``actor2``; ``location_text`` → ``location``;
    the curated ``province``/``district`` names are kept as ``admin1``/``admin2``
    for the geocoder to use as context; ``source`` is the URL's host.
    """
    missing = [c for c in REPORTED_COLUMNS if c not in reported.columns]
    if missing:
        raise InputError(
            f"missing column(s) {missing}; expected the compiled reports' columns {list(REPORTED_COLUMNS)}"
        )
    src = reported.fillna("")
    out = pd.DataFrame(
        {
            "event_id": src["event_id"],
            "event_date": src["event_date"],
            "date_precision": src["date_precision"],
            "group": src["group"].map(normalize_group),
            "actor1": src["group"].map(group_actor_name),
            "actor2": src["target"],
            "event_type": src["event_type"],
            "sub_event_type": src["sub_event_type"],
            "location": src["location_text"],
            "admin1": src["province"],
            "admin2": src["district"],
            "fatalities": src["fatalities"],
            "claim_status": src["claim_status"],
            "source_url": src["source_url"],
            "source": src["source_url"].str.extract(r"^[a-z]+://(?:www\.)?([^/]+)", expand=False).fillna(""),
            "notes": src["notes"],
            "location_en": src["location_text_en"],
            "injured": src["injured"],
            "source_title": src["source_title"],
            "source_date": src["source_date"],
        }
    )
    out["is_aggregate"] = aggregate_mask(out)
    return out


def order_columns(events: pd.DataFrame) -> pd.DataFrame:
    """Schema columns first (added empty when absent), then the others in their order."""
    out = events.copy()
    for c in EVENT_COLUMNS:
        if c not in out.columns:
            out[c] = ""
    return out[list(EVENT_COLUMNS) + [c for c in out.columns if c not in EVENT_COLUMNS]]


def build_default_events(reported: pd.DataFrame) -> pd.DataFrame:
    """Turn the compiled ``reported_events.csv`` into the bundled default data, geocoded.

    The place text as reported is geocoded with the compiler's curated province
    and district names (AGCHO spellings) as context, so a named place inside the
    district gives an exact point and otherwise the district's or province's
    label point is used, with ``geo_precision`` saying which. Every row is kept,
    in order; the aggregate statements are marked ``is_aggregate``.

    Parameters
    ----------
    reported : pandas.DataFrame
        ``reported_events.csv`` as read (strings).

    Returns
    -------
    pandas.DataFrame
        Events in the schema, with the geocoder's status, candidates and note.
    """
    from geo.gazetteer import load_gazetteer
    from geo.geocode import geocode

    base = reported_to_schema(reported)
    hints = base[["admin1", "admin2"]].rename(columns={"admin1": "hint_admin1", "admin2": "hint_admin2"})
    coded = geocode(
        pd.concat([base.drop(columns=["admin1", "admin2"]), hints], axis=1),
        text_column="location",
        admin1_column="hint_admin1",
        admin2_column="hint_admin2",
    )
    # The compiler's curated reading wins where the geocoder reads the text differently:
    # it was checked by a person against the source; the geocoder's reading goes to the note.
    g = load_gazetteer()
    prov_by_name = {u.name: u for u in g.provinces.values()}
    dist_by_name = {(u.parent, u.name): u for u in g.districts.values()}
    for i in coded.index:
        a1, a2 = coded.at[i, "hint_admin1"], coded.at[i, "hint_admin2"]
        if not a1 or coded.at[i, "is_aggregate"]:
            continue
        prov = prov_by_name.get(a1)
        if prov is None:
            raise InputError(f"{a1!r} is not an AGCHO 2018 province name", row=int(i) + 1, field="province")
        dist = dist_by_name.get((prov.pcode, a2)) if a2 else None
        if a2 and dist is None:
            raise InputError(f"{a2!r} is not an AGCHO 2018 district of {a1}", row=int(i) + 1, field="district")
        want1, want2 = prov.pcode, dist.pcode if dist else ""
        if (coded.at[i, "adm1_pcode"], coded.at[i, "adm2_pcode"]) == (want1, want2):
            continue
        unit = dist or prov
        got = " / ".join(x for x in (coded.at[i, "admin1"], coded.at[i, "admin2"]) if x) or "nothing"
        coded.loc[i, ["adm1_pcode", "admin1", "adm2_pcode", "admin2"]] = [
            want1,
            prov.name,
            want2,
            dist.name if dist else "",
        ]
        coded.loc[i, ["latitude", "longitude"]] = [unit.lat, unit.lon]
        coded.at[i, "geo_precision"] = PRECISION_DISTRICT if dist else PRECISION_PROVINCE
        coded.at[i, "geocode_status"] = "matched"
        coded.at[i, "geocode_note"] = (
            f"curated by the compiler as {' / '.join(x for x in (a1, a2) if x)}; "
            f"the geocoder read the text as {got} ({coded.at[i, 'geocode_note']})"
        )
    coded = coded.drop(columns=["hint_admin1", "hint_admin2"])
    # Aggregate statements name many provinces at once: they are not placed.
    agg = coded["is_aggregate"]
    for col in ("adm1_pcode", "admin1", "adm2_pcode", "admin2", "geocode_candidates"):
        coded.loc[agg, col] = ""
    coded.loc[agg, ["latitude", "longitude"]] = float("nan")
    coded.loc[agg, "geo_precision"] = pd.NA
    coded.loc[agg, "geocode_status"] = "unresolved"
    coded.loc[agg, "geocode_note"] = "aggregate statement covering many places: not placed"
    return order_columns(coded)
