"""Ingest: ACLED and UCDP exports, GeoJSON, our own CSV and free-text reports, with rejects.

:func:`ingest` reads a file (or bytes), recognises its format, maps its columns
to the event schema (:mod:`geo.schema`), validates every row
(:mod:`geo.validate`), geocodes the usable ones (:func:`geo.geocode.geocode`) and
returns an :class:`IngestResult`: the events, and the rejected rows with their
original values and a reason. Nothing is lost and nothing is trusted::

    rows in == len(result.events) + len(result.rejects)      # always

Reject or review
----------------
- **Rejected** (unusable): no or unreadable date, a future date, negative or
  non-integer fatalities, a value outside the schema's vocabularies, a repeated
  ``event_id``, unusable coordinates with no place text, no place at all; in
  free text, a report without a date or a place.
- **Kept, marked** ``needs_review`` with a ``review_note``: swapped
  latitude/longitude (fixed), coordinates outside Afghanistan or in another
  province than the stated one, unusable coordinates replaced by the place text,
  a place the geocoder could not resolve, a likely duplicate (same group, same
  district, dates within a day), and every event read from free text.

Format mappings
---------------
ACLED (``event_id_cnty, event_date, time_precision, actor1, actor2, admin1,
admin2, location, latitude, longitude, geo_precision, fatalities, source,
notes``...): ``actor1`` → ``group`` via :func:`geo.groups.normalize_group` (when
``actor1`` is the Taliban and ``actor2`` an armed group we follow, the event is
that group's); ``time_precision`` 1/2/3 → day/week/month; ``geo_precision`` is
ACLED's own scale (1 place, 2 near/district, 3 province), kept as is.

UCDP GED (``id, date_start, date_end, side_a, side_b, dyad_name, where_prec,
where_coordinates, adm_1, adm_2, latitude, longitude, best``...): the non-state
side (``side_b``, else ``side_a``) → ``group``/``actor1``, the other side →
``actor2``; ``best`` → ``fatalities`` (else the sum of ``deaths_*``);
``where_prec`` (UCDP codebook) → ``geo_precision``: 1 exact place and 2 within
25 km → 1; 3 second-order unit (district) → 2; 4 first-order unit (province)
and 5 (a line or an area within a province) → 3; 6 (country only) and 7
(international waters/airspace) → the coordinates are a country centroid and
are not used: the event is placed from the text if it can be, and reviewed.
``date_prec`` (or the span ``date_start``..``date_end``) → ``date_precision``.

GeoJSON FeatureCollections: each feature's properties, with a ``Point``
geometry as the coordinates, read as one of the CSV formats (the project's own
export comes back as the same events).

Free text: see :mod:`geo.textreport`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from geo import settings
from geo.errors import InputError
from geo.events import order_columns, reported_to_schema
from geo.groups import normalize_group
from geo.schema import (
    CLAIM_STATUSES,
    DATE_PRECISIONS,
    EVENT_COLUMNS,
    GEO_PRECISION,
    PRECISION_DISTRICT,
    PRECISION_PLACE,
    PRECISION_PROVINCE,
    aggregate_mask,
    validate_events,
)
from geo.tables import (
    BAD_JSON_ESCAPE,
    BAD_TEXT_CHARS,
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    decode_bytes,
    load_json,
    oversized_cells,
    read_csv_table,
)
from geo.validate import (
    MAX_PLACE_CHARS,
    check_coordinates_place,
    check_event_ids,
    check_size,
    check_vocabulary,
    join_reasons,
    likely_duplicates,
    parse_coordinates,
    parse_dates,
    parse_fatalities,
)

#: Formats :func:`ingest` reads (``auto`` recognises them).
FORMATS: tuple[str, ...] = ("auto", "project", "acled", "ucdp", "geojson", "text")

#: Columns of the rejects table after the original ones.
REJECT_COLUMNS: tuple[str, ...] = ("source_row", "reason")

#: Columns ingest adds to the events after the schema's.
REVIEW_COLUMNS: tuple[str, ...] = ("needs_review", "review_note")

#: Groups that are armed opposition (a Taliban-initiated ACLED event against them is theirs).
_OPPOSITION = ("NRF", "AFF", "ISKP", "ALM", "TTP")

#: ACLED ``time_precision`` → ``date_precision``.
ACLED_TIME_PRECISION = {"1": "day", "2": "week", "3": "month"}

#: UCDP ``where_prec`` → ``geo_precision`` (None: the coordinates are not used).
UCDP_WHERE_PREC: dict[str, int | None] = {
    "1": PRECISION_PLACE,
    "2": PRECISION_PLACE,
    "3": PRECISION_DISTRICT,
    "4": PRECISION_PROVINCE,
    "5": PRECISION_PROVINCE,
    "6": None,
    "7": None,
}

#: UCDP ``date_prec`` → ``date_precision``.
UCDP_DATE_PREC = {"1": "day", "2": "week", "3": "week", "4": "month", "5": "year"}

#: UCDP ``type_of_violence`` → (event_type, sub_event_type).
UCDP_VIOLENCE = {
    "1": ("Battles", "Armed clash"),
    "2": ("Battles", "Armed clash"),
    "3": ("Violence against civilians", "Attack"),
}

_ACLED_KEYS = {"event_id_cnty", "event_date", "actor1"}
_UCDP_KEYS = {"date_start", "side_a", "side_b"}
_PROJECT_KEYS = {"event_id", "event_date", "group", "location"}
_REPORTED_KEYS = {"event_id", "event_date", "group", "location_text", "province"}


@dataclasses.dataclass(frozen=True)
class IngestResult:
    """What :func:`ingest` returns.

    Attributes
    ----------
    events : pandas.DataFrame
        Typed events in schema order (as :func:`geo.events.load_events` returns
        them) plus ``needs_review`` (bool) and ``review_note`` (str).
    rejects : pandas.DataFrame
        Rejected rows: the original values as strings, then ``source_row``
        (1-based data row, or paragraph / feature number) and ``reason``.
    fmt : str
        The format read (``project``, ``acled``, ``ucdp``, ``geojson``, ``text``).
    rows_in : int
        Rows (features, paragraphs) read from the input.
    """

    events: pd.DataFrame
    rejects: pd.DataFrame
    fmt: str
    rows_in: int

    @property
    def counts(self) -> dict[str, int]:
        """``{"rows_in", "rows_out", "rows_rejected", "needs_review"}``."""
        return {
            "rows_in": self.rows_in,
            "rows_out": int(len(self.events)),
            "rows_rejected": int(len(self.rejects)),
            "needs_review": int(self.events["needs_review"].sum()) if len(self.events) else 0,
        }


# --------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------


def _read_input(source: Path | str | bytes, *, name: str | None, max_bytes: int) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        name = name or "upload"
        check_size(len(data), max_bytes=max_bytes, name=name)
        return data, name
    path = Path(source)
    name = name or str(path)
    if not path.is_file():
        raise InputError(f"{name} does not exist or is not a file")
    check_size(path.stat().st_size, max_bytes=max_bytes, name=name)  # before reading it
    return path.read_bytes(), name


def _schema_of(columns: Iterable[str]) -> str | None:
    cols = {str(c).strip().lower() for c in columns}
    if _ACLED_KEYS <= cols:
        return "acled"
    if _UCDP_KEYS <= cols:
        return "ucdp"
    if _REPORTED_KEYS <= cols:
        return "reported"
    if _PROJECT_KEYS <= cols:
        return "project"
    return None


def _unknown(name: str, columns) -> InputError:
    return InputError(
        f"{name}: unknown format; columns {list(columns)[:12]} match none of ACLED ({sorted(_ACLED_KEYS)}), "
        f"UCDP GED ({sorted(_UCDP_KEYS)}) or the project schema ({sorted(_PROJECT_KEYS)}); "
        "for free-text reports use --format text"
    )


def detect_format(data: bytes, *, name: str = "input") -> str:
    """Recognise the format of ``data``: ``geojson``, ``acled``, ``ucdp`` or ``project`` (CSV).

    Free text is never guessed, except for a ``.txt`` file name.

    Raises
    ------
    InputError
        Empty, binary or undecodable input, or a table whose columns match no known format.

    Examples
    --------
    >>> detect_format(b"event_id_cnty,event_date,actor1,location\\nAFG1,1 May 2024,NRF,Khinj\\n")
    'acled'
    """
    sample = data
    if len(data) > 65536:  # the header and a few rows are enough; cut at a line end (never inside a character)
        cut = data.rfind(b"\n", 0, 65536)
        if cut <= 0:  # the first line alone is longer: take all of it (the reader judges the header)
            cut = data.find(b"\n")
        sample = data[: cut + 1] if cut > 0 else data
    text, _ = decode_bytes(sample, name=name)
    head = text.lstrip("\ufeff \t\r\n")
    if head.startswith("{") or head.startswith("["):
        return "geojson"
    if name.lower().endswith((".txt", ".text", ".md")):
        return "text"
    frame = read_csv_table(Path(name), data=sample)
    if len(frame.columns) < 2:
        raise InputError(
            f"{name}: not a CSV table or GeoJSON (one column or none); for free-text reports use --format text"
        )
    kind = _schema_of(frame.columns)
    if kind is None:
        raise _unknown(name, frame.columns)
    return "project" if kind == "reported" else kind


def _read_geojson(data: bytes, name: str) -> pd.DataFrame:
    """One row per feature: its properties as text, ``_geometry`` (JSON) and ``_problem`` (why it cannot be used).

    A feature that is not an object, properties that are not an object, a geometry
    that is not a Point, and text holding NUL or unpaired surrogates (from ``\\u``
    escapes) become problems of their row, never errors of the file.
    """
    doc = load_json(data, name=name)
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        doc = {"type": "FeatureCollection", "features": [doc]}
    if not (isinstance(doc, dict) and doc.get("type") == "FeatureCollection" and isinstance(doc.get("features"), list)):
        got = doc.get("type") if isinstance(doc, dict) else type(doc).__name__
        raise InputError(f"{name}: expected a GeoJSON FeatureCollection, got {_as_text(got)[:60]!r}")
    if not doc["features"]:
        raise InputError(f"{name}: the FeatureCollection has no features")
    check_text = BAD_JSON_ESCAPE.search(data) is not None
    rows = []
    keys: set[str] = set()
    for feat in doc["features"]:
        problems = []
        if not isinstance(feat, dict):
            problems.append(f"feature: expected a GeoJSON Feature object, got {_json_type(feat)}")
            feat = {}
        props = feat.get("properties")
        if props is not None and not isinstance(props, dict):
            problems.append(f"properties: expected an object, got {_json_type(props)}")
        props = props if isinstance(props, dict) else {}
        row = {str(k): _as_text(v) for k, v in props.items()}
        keys.update(row)
        if len(keys) > MAX_COLUMNS:
            raise InputError(
                f"{name}: the features carry more than {MAX_COLUMNS:,} different property names; "
                "expected the properties of an event table"
            )
        geom = feat.get("geometry")
        row["_geometry"] = json.dumps(geom, ensure_ascii=False) if geom is not None else ""
        if isinstance(geom, dict) and geom.get("type") == "Point":
            coords = geom.get("coordinates")
            if isinstance(coords, list) and len(coords) >= 2:
                row["longitude"], row["latitude"] = _as_text(coords[0]), _as_text(coords[1])
            else:
                problems.append(f"geometry: expected Point coordinates [lon, lat], got {_as_text(coords)[:40]!r}")
        elif geom is not None:
            got = geom.get("type") if isinstance(geom, dict) else _json_type(geom)
            problems.append(f"geometry: expected a Point, got {_as_text(got)[:40]!r}")
        if check_text:
            row, bad = _clean_text(row)
            problems.extend(
                f"{k}: holds a NUL character or an unpaired surrogate (a \\u escape that is not text)" for k in bad
            )
        row["_problem"] = "; ".join(problems)
        rows.append(row)
    return pd.DataFrame(rows, dtype="string").fillna("")


def _json_type(value: object) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


def _clean_text(row: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """``row`` with NUL and unpaired surrogates replaced by U+FFFD, and the names of the cells that held them."""
    out, bad = {}, []
    for k, v in row.items():
        k2, v2 = BAD_TEXT_CHARS.sub("\ufffd", k), BAD_TEXT_CHARS.sub("\ufffd", v)
        if (k2, v2) != (k, v):
            bad.append(k2)
        out[k2] = v2
    return out, bad


def _as_text(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value)) if not isinstance(value, bool) else str(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


# --------------------------------------------------------------------------------------
# Mapping to the schema
# --------------------------------------------------------------------------------------


#: Columns whose surrounding spaces are noise (codes, dates, numbers); free text is kept as written.
_STRIPPED = {
    "event_id", "event_date", "date_precision", "group", "adm1_pcode", "adm2_pcode", "latitude", "longitude",
    "geo_precision", "fatalities", "claim_status", "event_id_cnty", "time_precision", "id", "ucdp_ged_id",
    "date_start", "date_end", "date_prec", "where_prec", "best", "deaths_a", "deaths_b", "deaths_civilians",
    "deaths_unknown", "type_of_violence",
}  # fmt: skip


def _col(frame: pd.DataFrame, name: str) -> pd.Series:
    """Column ``name`` as strings (case-insensitive name), or empty strings when absent."""
    lookup = {str(c).strip().lower(): c for c in frame.columns}
    c = lookup.get(name.lower())
    if c is None:
        return pd.Series("", index=frame.index, dtype="string")
    col = frame[c].astype("string").fillna("")
    return col.str.strip() if name.lower() in _STRIPPED else col


def _groups(names: pd.Series) -> pd.Series:
    """:func:`geo.groups.normalize_group` of each name, computed once per distinct name."""
    codes, uniques = pd.factorize(names.astype("string").fillna(""))
    canon = np.array([normalize_group(u) for u in uniques] + ["Unknown"], dtype=object)
    return pd.Series(canon[codes], index=names.index, dtype="string")


def _map_project(raw: pd.DataFrame) -> pd.DataFrame:
    if _schema_of(raw.columns) == "reported":
        return order_columns(reported_to_schema(raw.astype("string").fillna(""))).astype("string").fillna("")
    out = pd.DataFrame({c: _col(raw, c) for c in EVENT_COLUMNS}, index=raw.index)
    extras = [
        c for c in raw.columns if c not in EVENT_COLUMNS and not str(c).startswith("_") and c not in REVIEW_COLUMNS
    ]
    for c in extras:
        out[c] = raw[c].astype("string").fillna("")
    out["group"] = _groups(out["group"])
    return out


def _map_acled(raw: pd.DataFrame) -> pd.DataFrame:
    actor1, actor2 = _col(raw, "actor1"), _col(raw, "actor2")
    g1, g2 = _groups(actor1), _groups(actor2)
    theirs = g1.isin(["Taliban/IEA", "Other", "Unknown"]) & g2.isin(_OPPOSITION)
    tp = _col(raw, "time_precision")
    return pd.DataFrame(
        {
            "event_id": _col(raw, "event_id_cnty"),
            "event_date": _col(raw, "event_date"),
            "date_precision": tp.map(lambda v: ACLED_TIME_PRECISION.get(v, "")).astype("string"),
            "group": g1.where(~theirs, g2),
            "actor1": actor1,
            "actor2": actor2,
            "event_type": _col(raw, "event_type"),
            "sub_event_type": _col(raw, "sub_event_type"),
            "location": _col(raw, "location"),
            "adm1_pcode": "",
            "admin1": _col(raw, "admin1"),
            "adm2_pcode": "",
            "admin2": _col(raw, "admin2"),
            "latitude": _col(raw, "latitude"),
            "longitude": _col(raw, "longitude"),
            "geo_precision": _col(raw, "geo_precision"),
            "fatalities": _col(raw, "fatalities"),
            "claim_status": "",
            "source_url": "",
            "source": _col(raw, "source"),
            "notes": _col(raw, "notes"),
        },
        index=raw.index,
    ).astype("string")


def _map_ucdp(raw: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    side_a, side_b = _col(raw, "side_a"), _col(raw, "side_b")
    ga, gb = _groups(side_a), _groups(side_b)
    a_is_group = ~gb.isin(_OPPOSITION) & ga.isin(_OPPOSITION)
    ident = _col(raw, "id")
    ident = ident.where(ident != "", _col(raw, "ucdp_ged_id"))
    start, end = _col(raw, "date_start"), _col(raw, "date_end")
    dprec = _col(raw, "date_prec").map(lambda v: UCDP_DATE_PREC.get(v, "")).astype("string")
    span = (
        pd.to_datetime(end.str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
        - pd.to_datetime(start.str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    ).dt.days
    from_span = np.select([span <= 0, span <= 7, span <= 31, span > 31], ["day", "week", "month", "year"], default="")
    dprec = dprec.where(dprec != "", pd.Series(from_span, index=raw.index, dtype="string"))
    best = _col(raw, "best")
    deaths = [c for c in ("deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown") if _col(raw, c).ne("").any()]
    if deaths:
        summed = sum(pd.to_numeric(_col(raw, c), errors="coerce").astype("float64").fillna(0) for c in deaths)
        any_given = pd.concat([_col(raw, c) != "" for c in deaths], axis=1).any(axis=1)
        # Sums beyond any real count (or inf) stay as written numbers: parse_fatalities rejects them.
        exact = np.isfinite(summed) & (summed.abs() < 2**53) & (summed == np.floor(summed))
        summed_text = summed.where(exact).astype("Int64").astype("string").fillna(summed.astype("string"))
        summed_text = summed_text.where(any_given, "")
        best = best.where(best != "", summed_text)
    wp = _col(raw, "where_prec").to_numpy(dtype=object)
    # Unknown or missing where_prec: the geocoder's precision is used.
    precision = np.array(
        ["" if UCDP_WHERE_PREC.get(v, 0) in (None, 0) else str(UCDP_WHERE_PREC[v]) for v in wp], dtype=object
    )
    country_only = pd.Series([v in UCDP_WHERE_PREC and UCDP_WHERE_PREC[v] is None for v in wp], index=raw.index)
    lat, lon = _col(raw, "latitude"), _col(raw, "longitude")
    notes = np.where(
        country_only.to_numpy(),
        "where_prec: " + wp.astype(str) + " (only the country is known): the coordinates were not used",
        "",
    ).astype(object)
    place = _col(raw, "where_coordinates")
    adm1, adm2 = _col(raw, "adm_1"), _col(raw, "adm_2")
    place = place.where(place != "", adm2.where(adm2 != "", adm1))
    violence = _col(raw, "type_of_violence").map(lambda v: UCDP_VIOLENCE.get(v, ("Battles", "Armed clash")))
    dyad = _col(raw, "dyad_name")
    article = _col(raw, "source_article")
    out = pd.DataFrame(
        {
            "event_id": ("UCDP-" + ident).where(ident != "", ""),
            "event_date": start,
            "date_precision": dprec,
            "group": gb.where(~a_is_group, ga),
            "actor1": side_b.where(~a_is_group, side_a),
            "actor2": side_a.where(~a_is_group, side_b),
            "event_type": violence.map(lambda t: t[0]),
            "sub_event_type": violence.map(lambda t: t[1]),
            "location": place,
            "adm1_pcode": "",
            "admin1": adm1.str.replace(r"\s+province$", "", regex=True, case=False),
            "adm2_pcode": "",
            "admin2": adm2.str.replace(r"\s+district$", "", regex=True, case=False),
            "latitude": lat.where(~country_only, ""),
            "longitude": lon.where(~country_only, ""),
            "geo_precision": precision,
            "fatalities": best,
            "claim_status": "",
            "source_url": "",
            "source": "UCDP GED",
            "notes": join_reasons(
                np.where(dyad != "", "UCDP dyad: " + dyad.astype(str), ""),
                np.where(article != "", "source: " + article.astype(str), ""),
            ),
        },
        index=raw.index,
    ).astype("string")
    return out, notes


def _map_text(paragraphs: list[str]) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """(raw frame with the ``text`` column, mapped frame, reject reasons) for free-text reports."""
    from geo.textreport import parse_report

    skipped = parse_report("")
    parsed = [parse_report(p) if len(p) <= MAX_CELL_CHARS else skipped for p in paragraphs]
    raw = pd.DataFrame({"text": pd.Series(paragraphs, dtype="string")})
    out = pd.DataFrame(
        {
            "event_id": ["TXT-" + hashlib.sha1(p.encode("utf-8")).hexdigest()[:10] for p in paragraphs],
            "event_date": [r["event_date"].isoformat() if r["event_date"] else "" for r in parsed],
            "date_precision": [r["date_precision"] for r in parsed],
            "group": [r["group"] for r in parsed],
            "actor1": [r["actor1"] for r in parsed],
            "actor2": [r["actor2"] for r in parsed],
            "event_type": "",
            "sub_event_type": "",
            "location": [r["location"] for r in parsed],
            "adm1_pcode": "",
            "admin1": "",
            "adm2_pcode": "",
            "admin2": "",
            "latitude": "",
            "longitude": "",
            "geo_precision": "",
            "fatalities": ["" if r["fatalities"] is None else str(r["fatalities"]) for r in parsed],
            "claim_status": "",
            "source_url": "",
            "source": "free text",
            "notes": ["from free text: " + p for p in paragraphs],
        },
        dtype="string",
    )
    reasons = join_reasons(
        [
            "text: no date found (expected e.g. 'December 10, 2025' or '10 Jadi 1403')" if not r["event_date"] else ""
            for r in parsed
        ],
        [
            "text: no place found (expected e.g. ', Khinj district, Panjshir' or 'در ولسوالی خنج')"
            if not r["location"]
            else ""
            for r in parsed
        ],
    )
    return raw, out, reasons


# --------------------------------------------------------------------------------------
# The pipeline
# --------------------------------------------------------------------------------------


def ingest(
    source: Path | str | bytes,
    *,
    fmt: str = "auto",
    name: str | None = None,
    max_bytes: int = settings.MAX_INPUT_BYTES,
    today: dt.date | None = None,
    geocode: bool = True,
    known_ids: Iterable[str] = (),
    progress: bool = False,
) -> IngestResult:
    """Read events in another shape, validate them, geocode them; return events and rejects.

    Parameters
    ----------
    source : path-like or bytes
        The file, or its bytes (an upload).
    fmt : {"auto", "project", "acled", "ucdp", "geojson", "text"}
        The format; ``auto`` recognises GeoJSON and the CSV formats by their
        columns (free text only by a ``.txt`` name).
    name : str, optional
        The name used in messages (default: the path, or ``"upload"``).
    max_bytes : int
        Refuse larger inputs (default :data:`geo.settings.MAX_INPUT_BYTES`, 50 MB).
    today : datetime.date, optional
        Dates after this day are rejected as future dates (default: today, UTC).
    geocode : bool, default True
        Place rows without P-codes with :func:`geo.geocode.geocode`. Rows that
        already carry a valid province P-code (our own files) keep theirs.
    known_ids : iterable of str
        Event ids that already exist (e.g. the loaded events): rows reusing one are rejected.
    progress : bool
        Show the geocoder's progress bar.

    Returns
    -------
    IngestResult
        ``events`` + ``rejects``; ``rows_in == len(events) + len(rejects)``.

    Raises
    ------
    InputError
        Unreadable input: missing, empty, binary, undecodable, over ``max_bytes``,
        not valid GeoJSON, or columns of no known format (one line, naming the input).

    Examples
    --------
    >>> csv = (b"event_id,event_date,group,location,fatalities\\n"
    ...        b"X-1,2024-06-01,NRF,Khinj district,2\\nX-2,2024-06-02,NRF,Khinj district,-1\\n")
    >>> r = ingest(csv, name="two.csv", geocode=False)
    >>> r.counts["rows_in"], r.counts["rows_out"], r.rejects["reason"].tolist()
    (2, 1, ["fatalities: expected a non-negative integer, got '-1'"])
    """
    if fmt not in FORMATS:
        raise InputError(f"format: expected one of {list(FORMATS)}, got {fmt!r}")
    data, name = _read_input(source, name=name, max_bytes=max_bytes)
    if fmt == "auto":
        fmt = detect_format(data, name=name)

    pre_reasons: np.ndarray | None = None
    pre_notes: np.ndarray | None = None
    if fmt == "text":
        text, _ = decode_bytes(data, name=name)
        from geo.textreport import split_reports

        paragraphs = split_reports(text)
        if not paragraphs:
            raise InputError(f"{name}: no reports (expected one report per paragraph)")
        raw, mapped, pre_reasons = _map_text(paragraphs)
        kind = "text"
    else:
        if fmt == "geojson":
            raw = _read_geojson(data, name)
            kind = _schema_of(c for c in raw.columns if not c.startswith("_"))
            if kind is None and (raw["_problem"] != "").all():  # not one usable feature: say why the first is not
                first = str(raw["_problem"].iloc[0])
                field, _, why = first.partition(": ")
                raise InputError(f"no usable feature ({why})", row=1, field=field, source=name)
            if kind is None:
                raise _unknown(name, [c for c in raw.columns if not c.startswith("_")] + ["(geometry)"])
            pre_reasons = raw["_problem"].to_numpy(dtype=object)
        else:
            raw = read_csv_table(Path(name), data=data)
            kind = _schema_of(raw.columns)
            if (
                kind is None
                or (fmt != "project" and kind != fmt)
                or (fmt == "project" and kind not in ("project", "reported"))
            ):
                if kind is None:
                    raise _unknown(name, raw.columns)
                raise InputError(f"{name}: --format {fmt} given, but the columns are those of {kind}")
        if kind in ("project", "reported"):
            mapped = _map_project(raw)
        elif kind == "acled":
            mapped = _map_acled(raw)
        else:
            mapped, pre_notes = _map_ucdp(raw)
    raw = raw.reset_index(drop=True)
    mapped = mapped.reset_index(drop=True)
    result = _validate_and_place(
        raw,
        mapped,
        fmt=fmt,
        kind=kind,
        today=today,
        geocode=geocode,
        known_ids=known_ids,
        pre_reasons=pre_reasons,
        pre_notes=pre_notes,
        progress=progress,
    )
    return result


def _validate_and_place(
    raw: pd.DataFrame,
    mapped: pd.DataFrame,
    *,
    fmt: str,
    kind: str,
    today: dt.date | None,
    geocode: bool,
    known_ids: Iterable[str],
    pre_reasons: np.ndarray | None,
    pre_notes: np.ndarray | None,
    progress: bool,
) -> IngestResult:
    n = len(mapped)
    rows = pd.Series(np.arange(1, n + 1), index=mapped.index)
    none = np.full(n, "", dtype=object)

    dates, date_why = parse_dates(mapped["event_date"], today=today)
    if fmt == "text":  # a report without a date already has its own reason
        date_why = np.where(_text(mapped, "event_date") == "", "", date_why).astype(object)
    fatal, fatal_why = parse_fatalities(mapped["fatalities"])
    lat, lon, coord_problem, swap_notes = parse_coordinates(mapped["latitude"], mapped["longitude"])
    id_why = check_event_ids(mapped["event_id"], rows, known=known_ids)
    gp_text = mapped["geo_precision"].str.replace(r"\.0+$", "", regex=True)
    vocab_why = join_reasons(
        check_vocabulary(mapped["date_precision"], DATE_PRECISIONS, field="date_precision"),
        check_vocabulary(mapped["claim_status"], CLAIM_STATUSES, field="claim_status"),
        check_vocabulary(gp_text, [str(k) for k in GEO_PRECISION], field="geo_precision"),
    )
    has_place = np.logical_or.reduce([_text(mapped, c) != "" for c in ("location", "admin1", "admin2", "adm1_pcode")])
    has_coords = lat.notna().to_numpy(dtype=bool) & lon.notna().to_numpy(dtype=bool)
    no_where = ~has_place & ~has_coords & ~aggregate_mask(mapped)
    place_why = np.where(
        no_where & (coord_problem != ""),
        coord_problem.astype(str) + " and there is no place text to use instead",
        np.where(no_where, "location: no coordinates and no place text", ""),
    )
    size_why = oversized_cells(raw.drop(columns=[c for c in ("_problem", "_geometry") if c in raw.columns]))
    place_size_why = oversized_cells(
        mapped[["location", "admin1", "admin2"]], limit=MAX_PLACE_CHARS, what="a place text"
    )
    size_why = np.where(size_why != "", size_why, place_size_why)
    reasons = join_reasons(
        pre_reasons if pre_reasons is not None else none, size_why, date_why, fatal_why, id_why, vocab_why, place_why
    )
    review = [
        swap_notes,
        np.where(
            (coord_problem != "") & (place_why == ""), coord_problem.astype(str) + "; placed from the text instead", ""
        ),
        pre_notes if pre_notes is not None else none,
    ]
    keep = reasons == ""

    events = mapped.loc[keep].copy()
    events["event_date"] = dates[keep].dt.strftime("%Y-%m-%d")
    events["fatalities"] = fatal[keep].astype("string").fillna("")
    events["latitude"], events["longitude"] = lat[keep], lon[keep]
    events["geo_precision"] = gp_text[keep]
    review = [np.asarray(r, dtype=object)[keep] for r in review]

    events, place_notes = _place(events, kind=kind, geocode=geocode, progress=progress)
    review.append(place_notes)
    events = order_columns(events)
    events["is_aggregate"] = aggregate_mask(events)
    typed = validate_events(events.drop(columns=[c for c in REVIEW_COLUMNS if c in events.columns]))
    review.append(likely_duplicates(typed, exclude=typed["is_aggregate"]))
    if fmt == "text":
        review.append(np.full(len(typed), "from free text: check the extracted fields", dtype=object))
    note = join_reasons(*review) if review else np.array([], dtype=object)
    typed = typed.reset_index(drop=True)
    typed["needs_review"] = pd.Series(note != "", dtype="bool")
    typed["review_note"] = pd.Series(note, dtype="string")

    rejects = raw.loc[~keep].astype("string").fillna("").copy()
    rejects = rejects.drop(columns=[c for c in ("_problem",) if c in rejects.columns])
    if "geometry" not in rejects.columns:
        rejects = rejects.rename(columns={"_geometry": "geometry"})
    rejects["source_row"] = rows[~keep].to_numpy()
    rejects["reason"] = reasons[~keep]
    rejects = rejects.reset_index(drop=True)
    if len(typed) + len(rejects) != n:  # the promise of this module; never silently lose a row
        raise AssertionError(f"ingest lost rows: {n} in, {len(typed)} out, {len(rejects)} rejected")
    return IngestResult(events=typed, rejects=rejects, fmt=fmt if fmt != "auto" else kind, rows_in=n)


def _text(frame: pd.DataFrame, col: str) -> np.ndarray:
    """Column ``col`` as an object array of str (missing values as ``""``)."""
    return frame[col].astype("string").fillna("").to_numpy(dtype=object)


def _place(events: pd.DataFrame, *, kind: str, geocode: bool, progress: bool) -> tuple[pd.DataFrame, np.ndarray]:
    """Fill P-codes (geocoding rows without a valid one) and check coordinates against them; returns notes."""
    from geo.gazetteer import load_gazetteer, name_key

    gaz = load_gazetteer()
    out = events.copy()
    n = len(out)
    notes: list[np.ndarray] = []
    adm1, adm2 = _text(out, "adm1_pcode"), _text(out, "adm2_pcode")
    parent = {p: u.parent for p, u in gaz.districts.items()}
    adm2_parent = np.array([parent.get(p, "?") for p in adm2], dtype=object)
    valid = np.isin(adm1, list(gaz.provinces)) & ((adm2 == "") | (adm2_parent == adm1))
    given_bad = (adm1 != "") & ~valid
    notes.append(
        np.where(
            given_bad, "adm1_pcode/adm2_pcode: " + adm1 + "/" + adm2 + " is not a 2018 P-code pair; placed again", ""
        )
    )
    out.loc[given_bad, ["adm1_pcode", "adm2_pcode"]] = ""
    # The coordinates as given (swaps fixed) against the stated province: a valid given
    # P-code, else the province named in admin1. Checked before the geocoder replaces anything.
    admin1 = _text(events, "admin1")
    codes = {s: _province_code(gaz, name_key, s) for s in set(admin1)}
    named = np.array([codes[s] for s in admin1], dtype=object)
    stated = pd.Series(np.where(valid, adm1, named), index=out.index)
    names = {p: u.name for p, u in gaz.provinces.items()}
    lat = pd.to_numeric(out["latitude"], errors="coerce")
    lon = pd.to_numeric(out["longitude"], errors="coerce")
    _, place_notes = check_coordinates_place(lat, lon, stated, names=names)
    notes.append(place_notes)
    # Aggregate statements are not placed; rows a geocoder already found ambiguous or unresolved
    # (our own files) keep that answer. A row "matched" but without valid P-codes is placed again.
    seen = (
        np.isin(_text(out, "geocode_status"), ["ambiguous", "unresolved"])
        if "geocode_status" in out.columns
        else np.zeros(n, dtype=bool)
    )
    todo = ~valid & ~aggregate_mask(out) & ~seen
    for col in ("geocode_status", "geocode_candidates", "geocode_note"):
        if col not in out.columns:
            out[col] = ""
    if geocode and todo.any():
        coded = _geocode_rows(out.loc[todo], progress=progress)
        keep_prec = out.loc[todo, "geo_precision"].astype("string").fillna("")
        for col in (
            "adm1_pcode",
            "admin1",
            "adm2_pcode",
            "admin2",
            "geocode_status",
            "geocode_candidates",
            "geocode_note",
        ):
            out.loc[todo, col] = coded[col].astype("string").fillna("").to_numpy()
        for col in ("latitude", "longitude"):
            out.loc[todo, col] = coded[col].astype("float64").to_numpy()
        # The source's own precision (ACLED, UCDP) says how exact its coordinates are; keep it when given.
        prec = coded["geo_precision"].astype("Int64").astype("string").fillna("").to_numpy()
        given = keep_prec.to_numpy(dtype=object)
        out.loc[todo, "geo_precision"] = np.where(given != "", given, prec)
        # A province-level event (source precision 3) is not counted in the district its point falls in.
        province_only = np.zeros(n, dtype=bool)
        province_only[np.flatnonzero(todo)] = given == str(PRECISION_PROVINCE)
        out.loc[province_only, ["adm2_pcode", "admin2"]] = ""
        status = coded["geocode_status"].astype(str).to_numpy()
        unresolved = np.full(n, "", dtype=object)
        unresolved[np.flatnonzero(todo)] = np.where(
            status == "unresolved",
            "location: the place could not be resolved",
            np.where(status == "ambiguous", "location: ambiguous place", ""),
        )
        notes.append(unresolved)
    return out, join_reasons(*notes)


def _province_code(gaz, name_key, text: str) -> str:
    if not text:
        return ""
    codes = {e.adm1_pcode for e in gaz.lookup(name_key(text)) if e.kind == "province"}
    return codes.pop() if len(codes) == 1 else ""


def _geocode_rows(rows: pd.DataFrame, *, progress: bool) -> pd.DataFrame:
    """Geocode ``rows`` once per distinct (place, admin1, admin2, lat, lon); aligned with ``rows``."""
    from geo.geocode import geocode as run_geocode

    work = pd.DataFrame(
        {
            "place": rows["location"].astype("string").fillna(""),
            "ctx_admin1": rows["admin1"].astype("string").fillna(""),
            "ctx_admin2": rows["admin2"].astype("string").fillna(""),
            "lat": pd.to_numeric(rows["latitude"], errors="coerce").astype("float64"),
            "lon": pd.to_numeric(rows["longitude"], errors="coerce").astype("float64"),
        }
    ).reset_index(drop=True)
    # drop_duplicates and ngroup(sort=False) both order the distinct rows by first appearance.
    uniq = work.drop_duplicates().reset_index(drop=True)
    which = work.groupby(list(work.columns), dropna=False, sort=False).ngroup().to_numpy()
    coded = run_geocode(
        uniq,
        text_column="place",
        admin1_column="ctx_admin1",
        admin2_column="ctx_admin2",
        lat_column="lat",
        lon_column="lon",
        progress=progress,
    )
    return coded.iloc[which].reset_index(drop=True)


def write_result(result: IngestResult, out_path: Path | str, rejects_path: Path | str) -> None:
    """Write the events and the rejects as UTF-8 CSV, both or neither, with formula-looking text neutralised.

    Text cells go through :func:`geo.export.neutralize_formulas` (the export's rule);
    numeric columns stay numbers. The two files are written with
    :func:`geo.tables.write_files_atomic`: each is complete in a temporary file
    before either replaces its target, a failure changes neither, and the same
    file named twice (another path, a link) is refused.

    Raises
    ------
    InputError
        When ``out_path`` and ``rejects_path`` name the same file.
    """
    from geo.export import write_spreadsheet_safe
    from geo.tables import check_distinct_outputs

    check_distinct_outputs({"events file": out_path, "rejects file": rejects_path})
    write_spreadsheet_safe(
        {out_path: result.events, rejects_path: result.rejects},
        labels={out_path: "events file", rejects_path: "rejects file"},
    )
