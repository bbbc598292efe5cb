"""Exporting events: RFC 7946 GeoJSON (events or district/province totals) and spreadsheet-safe CSV.

GeoJSON (RFC 7946): a FeatureCollection in WGS84 longitude/latitude, no ``crs``
member, coordinates rounded to 6 decimals. Each event is a Feature whose
properties carry the event schema (``event_date`` as ``YYYY-MM-DD``, missing
values as ``null``). An event known only to province level, or not placed at
all, has ``"geometry": null`` (RFC 7946 section 3.2 allows it): it keeps its
``adm1_pcode`` and ``geo_precision`` 3, so no tool draws it as an exact point.
The collection carries the ``filters`` used, ``exported_at`` (UTC),
``attribution``, ``source`` and counts.

CSV: the schema columns, UTF-8 with a byte-order mark (Excel then reads Dari
and Pashto), and every text cell that a spreadsheet would run as a formula gets
a leading apostrophe: one starting with tab or carriage return, or whose first
character after any spaces is ``=``, ``+``, ``-`` or ``@`` in any of their
Unicode forms (fullwidth ``＝``, small ``﹦``...: the characters whose NFKC form
is one of the four). Numbers in numeric columns stay numbers. The same rule
applies to every CSV the commands write (ingest, geocode, pipeline).
"""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geo import settings
from geo.aggregate import aggregate_by_district, aggregate_by_province
from geo.errors import InputError
from geo.filters import Filters, summarize
from geo.schema import EVENT_COLUMNS, PRECISION_PROVINCE
from geo.tables import csv_bytes, json_value, write_tables_atomic

#: Decimals of exported coordinates (RFC 7946 section 11.2: 6 decimals is about 10 cm).
COORD_DECIMALS = 6

#: The ``source`` member of every exported collection.
EXPORT_SOURCE = "Afghanistan Resistance Map (python -m geo export)"

#: First characters that make a spreadsheet treat a cell as a formula (OWASP CSV injection).
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")

#: Formula starters after leading spaces and NFKC folding (fullwidth ``＝`` is ``=``).
_FORMULA_STARTERS = frozenset("=+-@")

#: Columns written as numbers (not neutralised: a negative number stays a number).
NUMERIC_COLUMNS: tuple[str, ...] = ("latitude", "longitude", "geo_precision", "fatalities", "injured")

#: Aggregate levels.
LEVELS: tuple[str, ...] = ("district", "province")


def _now_utc(exported_at: dt.datetime | None) -> str:
    when = exported_at or dt.datetime.now(dt.UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _json_column(series: pd.Series) -> list[Any]:
    """A column as JSON-ready values, computed column-wise: :func:`geo.tables.json_value` of each cell
    (``empty_as_none``: an empty text is ``null``)."""
    if pd.api.types.is_datetime64_any_dtype(series):
        text = series.dt.strftime("%Y-%m-%d")
        return [None if pd.isna(v) else v for v in text.astype("object")]
    if pd.api.types.is_bool_dtype(series) and not series.isna().any():
        return series.astype(bool).tolist()
    if pd.api.types.is_integer_dtype(series):
        return [None if v is pd.NA else int(v) for v in series.astype("Int64").astype("object")]
    if pd.api.types.is_float_dtype(series):
        return [None if v != v else float(v) for v in series.astype("float64").tolist()]
    if pd.api.types.is_string_dtype(series):
        return [v if v != "" else None for v in series.astype("string").fillna("").tolist()]
    return [json_value(v, empty_as_none=True) for v in series.astype("object").tolist()]


def _event_geometries(events: pd.DataFrame) -> list[dict[str, Any] | None]:
    """Point geometries ``[lon, lat]`` (6 decimals), or None for province-level, unplaced or coordinate-less events."""
    lat = pd.to_numeric(events["latitude"], errors="coerce").round(COORD_DECIMALS)
    lon = pd.to_numeric(events["longitude"], errors="coerce").round(COORD_DECIMALS)
    adm2 = events["adm2_pcode"].fillna("").astype(str)
    prec = pd.to_numeric(events["geo_precision"], errors="coerce")
    point = lat.notna() & lon.notna() & (adm2 != "") & (prec.fillna(0) != PRECISION_PROVINCE)
    return [
        {"type": "Point", "coordinates": [x, y]} if ok else None
        for ok, x, y in zip(point.tolist(), lon.tolist(), lat.tolist(), strict=True)
    ]


def _collection_meta(events: pd.DataFrame, filters: Filters | None, exported_at: dt.datetime | None) -> dict[str, Any]:
    summary = summarize(events, filters=filters)
    return {
        "filters": filters.as_dict() if filters else {},
        "exported_at": _now_utc(exported_at),
        "attribution": settings.ATTRIBUTION,
        "source": EXPORT_SOURCE,
        "counts": {
            k: summary[k]
            for k in ("events", "provinces", "districts", "fatalities", "province_level_events", "unplaced_events")
        },
    }


def events_to_geojson(
    events: pd.DataFrame,
    *,
    filters: Filters | None = None,
    exported_at: dt.datetime | None = None,
) -> dict[str, Any]:
    """The events as an RFC 7946 FeatureCollection (a dict; see :func:`geojson_bytes`).

    Parameters
    ----------
    events : pandas.DataFrame
        Events in the schema, usually filtered (:func:`geo.filters.apply_filters`); not modified.
    filters : Filters, optional
        The selection, recorded under ``filters``.
    exported_at : datetime, optional
        The export time (default: now, UTC).

    Returns
    -------
    dict
        ``{"type": "FeatureCollection", "features": [...], "filters", "exported_at",
        "attribution", "source", "counts"}``. Points are ``[lon, lat]`` with at
        most 6 decimals; province-level and unplaced events have ``geometry: null``.

    Examples
    --------
    >>> from geo.events import load_events
    >>> from geo.filters import apply_filters
    >>> f = Filters(groups=("NRF",))
    >>> fc = events_to_geojson(apply_filters(load_events(), f), filters=f)
    >>> fc["type"], "crs" in fc, fc["filters"]
    ('FeatureCollection', False, {'groups': ['NRF']})
    """
    columns = list(EVENT_COLUMNS) + [c for c in events.columns if c not in EVENT_COLUMNS and c != "attribution"]
    values = [_json_column(events[c]) for c in columns]
    geometries = _event_geometries(events)
    features = [
        {"type": "Feature", "geometry": geometry, "properties": dict(zip(columns, row, strict=True))}
        for geometry, row in zip(geometries, zip(*values, strict=True), strict=True)
    ]
    out: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    out.update(_collection_meta(events, filters, exported_at))
    out["counts"]["features_without_geometry"] = sum(1 for f in features if f["geometry"] is None)
    return out


def _round_coords(coords: Any) -> Any:
    if isinstance(coords, (list, tuple)) and coords and isinstance(coords[0], (int, float)):
        return [round(float(c), COORD_DECIMALS) for c in coords[:2]]
    return [_round_coords(c) for c in coords]


def aggregates_to_geojson(
    events: pd.DataFrame,
    *,
    level: str = "district",
    filters: Filters | None = None,
    exported_at: dt.datetime | None = None,
    boundaries: Any | None = None,
) -> dict[str, Any]:
    """District (or province) totals as polygons: an RFC 7946 FeatureCollection.

    One Feature per district (province) with at least one event; properties
    ``pcode, name_en, name_da, adm1_pcode, events, fatalities, first_date,
    last_date, groups`` (provinces add ``province_level_events``). Geometry is
    the simplified display boundary, coordinates rounded to 6 decimals.

    Parameters
    ----------
    events : pandas.DataFrame
        Filtered events.
    level : {"district", "province"}
        What to total by. Province totals include events known only to province level.
    filters, exported_at
        As in :func:`events_to_geojson`.
    boundaries : geopandas.GeoDataFrame, optional
        The polygons (default: ``load_districts(simplified=True)`` or ``load_provinces(simplified=True)``).

    Examples
    --------
    >>> from geo.events import load_events
    >>> from geo.filters import apply_filters
    >>> fc = aggregates_to_geojson(apply_filters(load_events(), Filters()), level="province")
    >>> fc["features"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    True
    """
    if level not in LEVELS:
        raise InputError(f"expected one of {list(LEVELS)}, got {level!r}", field="level")
    if boundaries is None:
        from geo.boundaries import load_districts, load_provinces

        boundaries = load_districts(simplified=True) if level == "district" else load_provinces(simplified=True)
    totals = aggregate_by_district(events) if level == "district" else aggregate_by_province(events)
    key = "adm2_pcode" if level == "district" else "adm1_pcode"
    totals = totals.drop(columns=["adm2_pcode"] if level == "province" else [])
    shapes = boundaries.set_index("pcode")
    features = []
    for record in totals.to_dict(orient="records"):
        pcode = record[key]
        if pcode not in shapes.index:
            geometry = None
            names = {"name_en": None, "name_da": None}
        else:
            shape = shapes.loc[pcode]
            geometry = shape.geometry.__geo_interface__
            geometry = {"type": geometry["type"], "coordinates": _round_coords(geometry["coordinates"])}
            names = {"name_en": shape.get("name_en"), "name_da": shape.get("name_da")}
        props = {"pcode": pcode, **names}
        props.update({k: json_value(v, empty_as_none=True) for k, v in record.items()})
        if level == "province":
            props.pop("adm1_pcode", None)
        features.append({"type": "Feature", "geometry": geometry, "properties": props})
    out: dict[str, Any] = {"type": "FeatureCollection", "features": features, "level": level}
    out.update(_collection_meta(events, filters, exported_at))
    return out


def geojson_bytes(obj: dict[str, Any]) -> bytes:
    """Serialize a FeatureCollection as compact UTF-8 JSON (no NaN: invalid in JSON).

    Examples
    --------
    >>> geojson_bytes({"type": "FeatureCollection", "features": []})
    b'{"type":"FeatureCollection","features":[]}'
    """
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def _starts_formula(head: str) -> bool:
    """Whether a cell's first non-space character (``head``) starts a formula in some spreadsheet."""
    return unicodedata.normalize("NFKC", head)[:1] in _FORMULA_STARTERS


def is_formula_like(value: str) -> bool:
    """Whether a spreadsheet could run text ``value`` as a formula.

    Examples
    --------
    >>> [is_formula_like(v) for v in ("=1+1", "＝HYPERLINK(1)", "  @SUM(A1)", "\\tx", "Kabul", "")]
    [True, True, True, True, False, False]
    """
    return value.startswith(FORMULA_PREFIXES) or _starts_formula(value.lstrip()[:1])


def neutralize_cell(value: Any) -> Any:
    """Prefix ``'`` to a text cell that a spreadsheet would run as a formula; other values pass.

    Examples
    --------
    >>> neutralize_cell("=HYPERLINK(\\"http://x\\")"), neutralize_cell("-5"), neutralize_cell("Kabul")
    ('\\'=HYPERLINK("http://x")', "'-5", 'Kabul')
    >>> neutralize_cell("＝1+1")
    "'＝1+1"
    """
    if isinstance(value, str) and is_formula_like(value):
        return "'" + value
    return value


def formula_mask(text: pd.Series) -> np.ndarray:
    """:func:`is_formula_like` of every cell of a text column, vectorised (missing cells are False)."""
    text = text.astype("string")
    risky = text.str.startswith(FORMULA_PREFIXES).fillna(False).to_numpy(dtype=bool)
    heads = text.str.lstrip().str.slice(0, 1).fillna("")
    starters = [h for h in heads.unique() if h and _starts_formula(h)]
    if starters:
        risky |= heads.isin(starters).to_numpy(dtype=bool)
    return risky


def neutralize_formulas(frame: pd.DataFrame, *, numeric_columns: tuple[str, ...] = ()) -> pd.DataFrame:
    """A copy whose text cells cannot run as spreadsheet formulas: :func:`neutralize_cell`'s rule, vectorised.

    Columns of numeric dtype are left as they are. In ``numeric_columns`` a text
    cell that reads as a finite number (``"-5"``) stays a number; anything else risky
    there is neutralised too.

    Examples
    --------
    >>> neutralize_formulas(pd.DataFrame({"a": ["=1+1", "Herat", " ＝2"], "n": [-1, 2, 3]})).to_dict("list")
    {'a': ["'=1+1", 'Herat', "' ＝2"], 'n': [-1, 2, 3]}
    >>> neutralize_formulas(pd.DataFrame({"fatalities": ["-5", "=2", "-inf"]}), numeric_columns=("fatalities",))["fatalities"].tolist()
    ['-5', "'=2", "'-inf"]
    """
    out = frame.copy()
    for col in out.columns:
        series = out[col]
        if not (pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)):
            continue
        text = series.astype("string")
        risky = formula_mask(text)
        if col in numeric_columns and risky.any():
            number = pd.to_numeric(text.where(risky, ""), errors="coerce").astype("float64")
            risky &= ~np.isfinite(number.to_numpy())
        if risky.any():
            out[col] = np.where(risky, ("'" + text).astype(object), series.astype(object))
    return out


def write_spreadsheet_safe(
    tables: Mapping[Path | str, pd.DataFrame],
    *,
    labels: Mapping[Path | str, str] | None = None,
    numeric_columns: tuple[str, ...] = (),
) -> None:
    """Write frames as UTF-8 CSV files, all or nothing, with formula-looking text neutralised.

    The CSV outputs of ``ingest``, ``geocode`` and ``pipeline`` go through here: dates
    as ``YYYY-MM-DD``, text cells through :func:`neutralize_formulas` (numbers in
    :data:`NUMERIC_COLUMNS` and ``numeric_columns`` stay numbers), then
    :func:`geo.tables.write_tables_atomic` (quoting, all-or-nothing, the same file
    named twice refused, modes kept).

    Parameters
    ----------
    tables : mapping
        Target path to frame.
    labels : mapping, optional
        Target path to the name used in messages (the command's option, e.g. ``"--rejects"``).
    numeric_columns : tuple of str
        More columns whose number-like text is left alone (e.g. the input's coordinate columns).
    """
    safe = {}
    for path, frame in tables.items():
        out = frame.copy()
        for col in out.columns:
            if pd.api.types.is_datetime64_any_dtype(out[col]):
                out[col] = out[col].dt.strftime("%Y-%m-%d")
        safe[path] = neutralize_formulas(out, numeric_columns=NUMERIC_COLUMNS + tuple(numeric_columns))
    write_tables_atomic(safe, labels=labels)


def events_to_csv(events: pd.DataFrame) -> bytes:
    """The events as CSV bytes: schema columns first, UTF-8 with BOM, formulas neutralised.

    Dates are written ``YYYY-MM-DD``; numeric columns (:data:`NUMERIC_COLUMNS`)
    stay numbers, so a negative longitude is not altered; every other cell is
    text and goes through :func:`neutralize_cell`. A last column ``attribution``
    carries :data:`geo.settings.ATTRIBUTION` on every row, so the credit travels
    with any rows copied out of the file (a CSV has no place for metadata).

    Examples
    --------
    >>> from geo.events import load_events
    >>> data = events_to_csv(load_events().head(2))
    >>> data[:3] == b"\\xef\\xbb\\xbf", data[3:].split(b",")[0]
    (True, b'event_id')
    """
    columns = list(EVENT_COLUMNS) + [c for c in events.columns if c not in EVENT_COLUMNS and c != "attribution"]
    out = pd.DataFrame(index=events.index)
    for col in columns:
        series = events[col]
        if col in NUMERIC_COLUMNS and pd.api.types.is_numeric_dtype(series):
            out[col] = series
        elif pd.api.types.is_datetime64_any_dtype(series):
            out[col] = series.dt.strftime("%Y-%m-%d").fillna("")
        else:
            out[col] = series.astype("string").fillna("")
    # Text in a numeric column: cells that read as numbers stay numbers ("-5"), the rest is neutralised.
    out = neutralize_formulas(out, numeric_columns=NUMERIC_COLUMNS)
    out["attribution"] = settings.ATTRIBUTION
    return csv_bytes(out, lineterminator="\r\n", bom=True)
