"""The event schema: column names aligned with ACLED's, value vocabularies, validation.

One row is one event. Columns (in this order):

``event_id, event_date, date_precision, group, actor1, actor2, event_type,
sub_event_type, location, adm1_pcode, admin1, adm2_pcode, admin2, latitude,
longitude, geo_precision, fatalities, claim_status, source_url, source, notes``

``actor2`` is the target. ``location`` is the place text as reported.
Optional columns (:data:`OPTIONAL_COLUMNS`) may follow; any other column is kept
as it is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.errors import SchemaError
from geo.groups import GROUPS

#: Required event columns, in order.
EVENT_COLUMNS: tuple[str, ...] = (
    "event_id",
    "event_date",
    "date_precision",
    "group",
    "actor1",
    "actor2",
    "event_type",
    "sub_event_type",
    "location",
    "adm1_pcode",
    "admin1",
    "adm2_pcode",
    "admin2",
    "latitude",
    "longitude",
    "geo_precision",
    "fatalities",
    "claim_status",
    "source_url",
    "source",
    "notes",
)

#: Columns the geocoder adds (``geocode`` output).
GEOCODE_COLUMNS: tuple[str, ...] = (
    "adm1_pcode",
    "admin1",
    "adm2_pcode",
    "admin2",
    "latitude",
    "longitude",
    "geo_precision",
    "geocode_status",
    "geocode_candidates",
    "geocode_note",
)

#: Optional columns the project itself writes after the required ones.
OPTIONAL_COLUMNS: tuple[str, ...] = (
    "location_en",
    "injured",
    "source_title",
    "source_date",
    "geocode_status",
    "geocode_candidates",
    "geocode_note",
    "is_aggregate",
    "needs_review",
    "review_note",
)

#: ``geo_precision`` codes (ACLED's scale).
GEO_PRECISION: dict[int, str] = {
    1: "named place or neighbourhood",
    2: "district",
    3: "province",
}
PRECISION_PLACE, PRECISION_DISTRICT, PRECISION_PROVINCE = 1, 2, 3

#: ``date_precision`` values.
DATE_PRECISIONS: tuple[str, ...] = ("day", "week", "month", "year")

#: ``claim_status`` values.
CLAIM_STATUSES: tuple[str, ...] = ("self-claimed", "media-reported", "officially-confirmed", "UN-verified")

#: ``geocode_status`` values.
GEOCODE_STATUSES: tuple[str, ...] = ("matched", "ambiguous", "unresolved")

#: ACLED event types (labels only; no ACLED data is included).
EVENT_TYPES: tuple[str, ...] = (
    "Battles",
    "Explosions/Remote violence",
    "Violence against civilians",
    "Strategic developments",
    "Protests",
    "Riots",
)

#: ``notes`` of a group statement that bundles many attacks starts with this.
AGGREGATE_PREFIX = "AGGREGATE"


def aggregate_mask(events: pd.DataFrame) -> np.ndarray:
    """True for the group statements that bundle many attacks: never counted or mapped.

    A row is one when its ``is_aggregate`` is true (``True``, ``"true"``,
    ``"1"``, ``"yes"``) or its ``notes`` start with :data:`AGGREGATE_PREFIX`. A
    boolean ``is_aggregate`` column (as :func:`validate_events` makes it, with the
    notes already folded in) is used as it is, so filtering stays fast.

    Examples
    --------
    >>> frame = pd.DataFrame({"notes": ["AGGREGATE: 87 attacks", "ambush"], "is_aggregate": ["", "yes"]})
    >>> aggregate_mask(frame).tolist()
    [True, True]
    """
    flag = events["is_aggregate"] if "is_aggregate" in events.columns else None
    if flag is not None and flag.dtype == bool:
        return flag.to_numpy()
    mask = np.zeros(len(events), dtype=bool)
    if "notes" in events.columns:
        mask |= events["notes"].astype("string").str.startswith(AGGREGATE_PREFIX).fillna(False).to_numpy(dtype=bool)
    if flag is not None:
        mask |= flag.astype("string").str.lower().isin(["true", "1", "yes"]).fillna(False).to_numpy(dtype=bool)
    return mask


def empty_events() -> pd.DataFrame:
    """An empty event frame with the schema's columns and dtypes.

    Examples
    --------
    >>> list(empty_events().columns)[:3]
    ['event_id', 'event_date', 'date_precision']
    """
    return coerce_types(pd.DataFrame({c: pd.Series(dtype="object") for c in EVENT_COLUMNS}))


def coerce_types(events: pd.DataFrame) -> pd.DataFrame:
    """Return a copy with the schema's dtypes: dates as ``datetime64``, numbers as nullable numbers.

    Raises
    ------
    SchemaError
        When a value cannot be read as its column's type; the message names the
        first bad row (1-based) and the field.
    """
    out = events.copy()
    out["event_date"] = _parse_column(
        out, "event_date", lambda s: pd.to_datetime(s, format="%Y-%m-%d", errors="coerce")
    )
    for col in ("latitude", "longitude"):
        out[col] = _parse_column(out, col, lambda s: pd.to_numeric(s, errors="coerce")).astype("float64")
    for col in ("geo_precision", "fatalities"):
        out[col] = _parse_column(out, col, _whole_number).astype("Int64")
    for col in EVENT_COLUMNS:
        if col not in ("event_date", "latitude", "longitude", "geo_precision", "fatalities"):
            out[col] = out[col].astype("string").fillna("")
    if "is_aggregate" in out.columns:
        out["is_aggregate"] = aggregate_mask(out)
    return out


_EXPECTED = {"event_date": "a date YYYY-MM-DD", "geo_precision": "a whole number", "fatalities": "a whole number"}


def _whole_number(values: pd.Series) -> pd.Series:
    """Whole numbers that fit an ``Int64`` exactly; others NaN (``2.5``, and ``1e308``, which would wrap around)."""
    number = pd.to_numeric(values, errors="coerce").astype("float64")
    return number.where((number.abs() < 2**53) & (number == np.floor(number)))


def _parse_column(frame: pd.DataFrame, col: str, parse) -> pd.Series:
    raw = frame[col]
    parsed = parse(raw)
    given = raw.notna() & (raw.astype("string").str.strip() != "")
    bad = given & parsed.isna()
    if bad.any():
        pos = int(bad.to_numpy().nonzero()[0][0])
        raise SchemaError(
            f"expected {_EXPECTED.get(col, 'a number')}, got {raw.iloc[pos]!r}",
            row=pos + 1,
            field=col,
        )
    return parsed


def validate_events(events: pd.DataFrame) -> pd.DataFrame:
    """Check a frame against the schema and return it with the schema's dtypes.

    Validates, then coerces: required columns present, dates and numbers
    readable, vocabularies respected. The input is not modified.

    Parameters
    ----------
    events : pandas.DataFrame
        Events, as read from a file.

    Returns
    -------
    pandas.DataFrame
        A typed copy, columns in schema order, extra columns after.

    Raises
    ------
    SchemaError
        Naming the row (1-based) and the field of the first problem.
    """
    missing = [c for c in EVENT_COLUMNS if c not in events.columns]
    if missing:
        raise SchemaError(f"missing required column(s) {missing}; expected the event schema {list(EVENT_COLUMNS)}")
    out = coerce_types(events)
    _check_vocab(out, "group", GROUPS)
    _check_vocab(out, "claim_status", CLAIM_STATUSES, allow_empty=True)
    _check_vocab(out, "date_precision", DATE_PRECISIONS, allow_empty=True)
    gp = out["geo_precision"]
    bad = gp.notna() & ~gp.isin(list(GEO_PRECISION))
    if bad.any():
        pos = int(bad.to_numpy().nonzero()[0][0])
        raise SchemaError(
            f"expected one of {sorted(GEO_PRECISION)}, got {gp.iloc[pos]!r}", row=pos + 1, field="geo_precision"
        )
    neg = out["fatalities"].notna() & (out["fatalities"] < 0)
    if neg.any():
        pos = int(neg.to_numpy().nonzero()[0][0])
        raise SchemaError(
            f"expected a non-negative integer, got {out['fatalities'].iloc[pos]!r}", row=pos + 1, field="fatalities"
        )
    extra = [c for c in out.columns if c not in EVENT_COLUMNS]
    if "is_aggregate" not in out.columns:
        out["is_aggregate"] = aggregate_mask(out)
        extra.append("is_aggregate")
    return out[list(EVENT_COLUMNS) + extra]


def _check_vocab(frame: pd.DataFrame, col: str, allowed, *, allow_empty: bool = False) -> None:
    values = frame[col]
    ok = values.isin(list(allowed)) | ((values == "") if allow_empty else False)
    if not ok.all():
        pos = int((~ok).to_numpy().nonzero()[0][0])
        raise SchemaError(f"expected one of {list(allowed)}, got {values.iloc[pos]!r}", row=pos + 1, field=col)
