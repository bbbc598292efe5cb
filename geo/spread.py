"""Spread analytics: where a group is active per period, what is new, and how far west it reaches.

Every function takes events in the schema of :mod:`geo.schema` (usually the
output of :func:`geo.filters.apply_filters`) and returns a new frame; inputs are
never modified. Group statements that bundle many attacks (``is_aggregate``)
are left out of every metric; the number left out is in ``frame.attrs``.

Definitions (see ``docs/spread.md`` for the long form)
-------------------------------------------------------
period
    A calendar month (``"2024-03"``), quarter (``"2024Q2"``) or year (``"2024"``),
    pandas :class:`~pandas.Period` labels, chosen with ``freq="M"|"Q"|"Y"``.
first activity, "new"
    A province (district) is *new* in a period when the earliest event in the
    ``history`` in that province (district) falls inside the period. ``history``
    is the same selection without its date range (:func:`history_filters`), so
    "ever" means "ever in the loaded data, for the selected groups together";
    when not given, the events themselves are the history.
exact events
    Events with a district P-code, coordinates and a precision better than
    province (``geo_precision`` 1 or 2). Only they feed the distances and the
    mean centre; an event placed only to a province counts toward ``provinces``
    and ``west_share`` but never as if it happened at the province's centre.
west_km
    The geodesic distance (WGS84 ellipsoid, :data:`geo.crs.GEOD`) from the
    origin to the point on the origin's parallel at the westmost exact event's
    longitude: a pure east-west reach that does not depend on how far north or
    south that event was. Negative when all exact events lie east of the origin.
mean centre, standard distance
    The event-weighted mean centre is the normalised mean of the events' unit
    vectors on the sphere (not an average of degrees); the standard distance is
    the root mean square of the geodesic distances (ellipsoid) from that centre.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import functools
import math
from pathlib import Path

import numpy as np
import pandas as pd

from geo import settings
from geo.crs import GEOD
from geo.display import common_name, date_label, placement_label, unit_label
from geo.errors import InputError
from geo.filters import Filters
from geo.groups import GROUP_COLORS, GROUPS
from geo.maps import FitToFrame, escape_text
from geo.schema import PRECISION_PROVINCE, aggregate_mask
from geo.tables import read_csv_table


@dataclasses.dataclass(frozen=True)
class Origin:
    """The point distances are measured from.

    Attributes
    ----------
    name : str
        Shown in legends and the CLI output.
    lon, lat : float
        WGS84 degrees.
    pcode : str
        The province or district P-code it stands for, if any.
    """

    name: str
    lon: float
    lat: float
    pcode: str = ""

    def as_dict(self) -> dict[str, object]:
        """JSON-ready: ``{"name", "pcode", "lon", "lat"}``."""
        return {"name": self.name, "pcode": self.pcode, "lon": self.lon, "lat": self.lat}


#: Default origin: Bazarak, the centre of Panjshir (GeoNames 1429434, 35.31292 N 69.51519 E),
#: where the NRF was formed in August 2021.
BAZARAK = Origin(name="Bazarak, Panjshir", lon=69.51519, lat=35.31292, pcode="AF0801")
DEFAULT_ORIGIN = BAZARAK

#: The groups the Spread page follows when it opens with no group selected: the NRF's westward spread.
DEFAULT_GROUPS: tuple[str, ...] = ("NRF",)

#: Period frequencies: pandas alias to the word used in text.
FREQS: dict[str, str] = {"M": "month", "Q": "quarter", "Y": "year"}
DEFAULT_FREQ = "Q"

#: Columns of :func:`spread_metrics`, in order.
METRIC_COLUMNS: tuple[str, ...] = (
    "period",
    "start",
    "end",
    "partial",
    "events",
    "provinces",
    "districts",
    "new_provinces",
    "new_districts",
    "cumulative_provinces",
    "cumulative_districts",
    "westmost_lon",
    "westmost_lat",
    "westmost_district",
    "west_km",
    "west_km_to_date",
    "westmost_district_to_date",
    "mean_lon",
    "mean_lat",
    "standard_distance_km",
    "exact_events",
    "west_share",
    "excluded_province_level",
    "excluded_unplaced",
    "excluded_no_coordinates",
)

#: Readable names of the :data:`METRIC_COLUMNS`, in the order a table shows them (the story first).
METRIC_LABELS: dict[str, str] = {
    "period": "Period",
    "events": "Events",
    "new_provinces": "Provinces reached for the first time",
    "west_km_to_date": "Farthest so far (km west)",
    "westmost_district_to_date": "Farthest district so far",
    "west_km": "Reach this period (km west)",
    "westmost_district": "Westmost district this period",
    "provinces": "Provinces active",
    "cumulative_provinces": "Provinces reached so far",
    "districts": "Districts active",
    "new_districts": "Districts reached for the first time",
    "cumulative_districts": "Districts reached so far",
    "start": "From",
    "end": "To",
    "partial": "Partly selected",
    "westmost_lon": "Westmost longitude (°E)",
    "westmost_lat": "Westmost latitude (°N)",
    "mean_lon": "Mean centre longitude (°E)",
    "mean_lat": "Mean centre latitude (°N)",
    "standard_distance_km": "Standard distance (km)",
    "exact_events": "Events placed to a district or place",
    "west_share": "Share in the west (%)",
    "excluded_province_level": "Events known to the province only",
    "excluded_unplaced": "Events not placed",
    "excluded_no_coordinates": "Events with a district but no coordinates",
}

#: How a group is named in :func:`period_sentence` ("... attacks by the NRF were claimed or reported").
SENTENCE_NAMES: dict[str, str] = {
    "NRF": "the NRF",
    "AFF": "the AFF",
    "ISKP": "ISKP",
    "ALM": "the ALM",
    "TTP": "the TTP",
    "Taliban/IEA": "the Taliban",
    "Other": "other armed groups",
    "Unknown": "unidentified attackers",
}

#: A group as the adjective of "First NRF attack reported in ...": groups without a short form are left out.
ADJECTIVES: dict[str, str] = {
    "NRF": "NRF",
    "AFF": "AFF",
    "ISKP": "ISKP",
    "ALM": "ALM",
    "TTP": "TTP",
    "Taliban/IEA": "Taliban",
    "Unknown": "unattributed",
}

#: Finer date precisions first: among a province's earliest events, the finest dated one is shown.
_PRECISION_RANK = {"day": 0, "week": 1, "month": 2, "year": 3}

#: ``claim_status`` values as the sentence words them, in the order it lists them.
CLAIM_WORDS: dict[str, str] = {
    "self-claimed": "self-claimed",
    "media-reported": "media-reported",
    "officially-confirmed": "officially confirmed",
    "UN-verified": "UN-verified",
}


def check_freq(freq: str) -> str:
    """Return ``freq`` upper-cased if it is one of :data:`FREQS`; raise :class:`InputError` otherwise.

    Examples
    --------
    >>> check_freq("q")
    'Q'
    """
    value = str(freq).strip().upper()
    if value not in FREQS:
        raise InputError(f"expected one of {list(FREQS)} (month, quarter, year), got {freq!r}", field="freq")
    return value


def groups_to_preset(filters: Filters, available) -> tuple[str, ...]:
    """The groups the Spread page selects when it opens: :data:`DEFAULT_GROUPS` unless a group is already chosen.

    Empty when the selection (or a shared link) names groups, or when the loaded
    events hold none of the default groups.

    Examples
    --------
    >>> groups_to_preset(Filters(), ["AFF", "NRF"]), groups_to_preset(Filters(groups=("AFF",)), ["AFF", "NRF"])
    (('NRF',), ())
    >>> groups_to_preset(Filters(), ["ISKP"])
    ()
    """
    if filters.groups:
        return ()
    present = set(available)
    return tuple(g for g in DEFAULT_GROUPS if g in present)


def history_filters(filters: Filters) -> Filters:
    """The selection that defines "first activity ever": ``filters`` without its date range.

    Examples
    --------
    >>> history_filters(Filters(groups=("NRF",), start="2024-03-01")).describe()
    'group NRF'
    """
    return dataclasses.replace(filters, start=None, end=None)


def origin_from_pcode(pcode: str) -> Origin:
    """The origin for a district (``AF0801``) or province (``AF08``) P-code: its label point.

    The label point is the representative point of the full boundary geometry
    (always inside the polygon, unlike a centroid).

    Raises
    ------
    InputError
        When the P-code is not one of the 34 provinces or 399 districts.

    Examples
    --------
    >>> origin_from_pcode("AF08").name
    'Panjsher (AF08)'
    """
    from geo.boundaries import load_districts, load_provinces  # boundaries are only read when asked for

    code = str(pcode).strip().upper()
    frame = load_provinces() if len(code) == 4 else load_districts()
    row = frame.loc[frame["pcode"] == code]
    if row.empty:
        raise InputError(
            f"expected a province (AF01...AF34) or district (AF0101...) P-code, got {pcode!r}", field="origin"
        )
    point = row.geometry.iloc[0].representative_point()
    return Origin(name=f"{row['name_en'].iloc[0]} ({code})", lon=float(point.x), lat=float(point.y), pcode=code)


# --------------------------------------------------------------------------- helpers


def _text_column(frame: pd.DataFrame, column: str, default: str = "") -> pd.Series:
    """``frame[column]`` as stripped plain strings (``default`` where missing)."""
    if column not in frame.columns:
        return pd.Series(default, index=frame.index, dtype=object)
    values = frame[column].astype("string").fillna("").str.strip()
    return values.mask(values == "", default).astype(str)


def _clean(events: pd.DataFrame, *, labels: bool = False) -> pd.DataFrame:
    """Non-aggregate events with the columns the metrics read, normalised (a new frame).

    ``labels`` adds what the text and panels show: ``date_precision``, ``adm1_name``,
    ``adm2_name``, ``claim`` and ``event_id``.
    """
    for col in ("event_date", "adm1_pcode", "adm2_pcode"):
        if col not in events.columns:
            raise InputError(f"expected the event schema, column {col!r} is missing", field=col)
    ev = events.loc[~aggregate_mask(events)]
    out = pd.DataFrame(index=ev.index)
    out["date"] = pd.to_datetime(ev["event_date"], errors="coerce")
    out["group"] = ev["group"].astype("string").fillna("").astype(str) if "group" in ev.columns else ""
    out["adm1"] = ev["adm1_pcode"].astype("string").fillna("").str.strip().astype(str)
    out["adm2"] = ev["adm2_pcode"].astype("string").fillna("").str.strip().astype(str)
    for src, dst in (("longitude", "lon"), ("latitude", "lat"), ("geo_precision", "precision")):
        values = pd.to_numeric(ev[src], errors="coerce") if src in ev.columns else pd.Series(np.nan, index=ev.index)
        out[dst] = values.astype("float64")
    coords_ok = (
        np.isfinite(out["lon"]) & np.isfinite(out["lat"]) & out["lon"].between(-180, 180) & out["lat"].between(-90, 90)
    )
    out["exact"] = (out["adm2"] != "") & coords_ok & ~(out["precision"] >= PRECISION_PROVINCE)
    out["kind"] = np.select(
        [out["exact"], out["adm2"] != "", out["adm1"] != ""],
        ["exact", "no_coordinates", "province_level"],
        default="unplaced",
    )
    if labels:
        out["date_precision"] = _text_column(ev, "date_precision", "day").str.lower()
        out["adm1_name"] = _text_column(ev, "admin1")
        out["adm2_name"] = _text_column(ev, "admin2")
        out["claim"] = _text_column(ev, "claim_status")
        out["event_id"] = _text_column(ev, "event_id")
    out.attrs["aggregate_rows_dropped"] = int(len(events) - len(ev))
    return out


def _first_dates(clean: pd.DataFrame, column: str) -> pd.Series:
    """Earliest date per P-code in ``column`` (``adm1`` or ``adm2``), empty codes left out."""
    rows = clean.loc[(clean[column] != "") & clean["date"].notna()]
    return rows.groupby(column)["date"].min()


def _unit_vectors(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    lam, phi = np.radians(lon), np.radians(lat)
    return np.column_stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])


def mean_centre(lon, lat) -> tuple[float, float]:
    """Mean centre of points on the sphere: the normalised mean of their unit vectors.

    Averaging degrees drifts toward the equator and breaks across the
    antimeridian; the unit-vector mean does neither. Returns ``(nan, nan)`` for
    no points (or points that cancel out).

    Examples
    --------
    >>> lon, lat = mean_centre([62.0, 70.0], [35.0, 35.0])
    >>> round(lon, 6), lat > 35.0
    (66.0, True)
    """
    lon, lat = np.asarray(lon, dtype="float64"), np.asarray(lat, dtype="float64")
    if lon.size == 0:
        return math.nan, math.nan
    v = _unit_vectors(lon, lat).mean(axis=0)
    norm = float(np.linalg.norm(v))
    if norm < 1e-12:
        return math.nan, math.nan
    x, y, z = v / norm
    return math.degrees(math.atan2(y, x)), math.degrees(math.atan2(z, math.hypot(x, y)))


def standard_distance_km(lon, lat, centre: tuple[float, float]) -> float:
    """Root mean square of the geodesic distances (km, WGS84 ellipsoid) from ``centre`` to the points.

    Examples
    --------
    >>> round(standard_distance_km([69.0], [35.0], (69.0, 35.0)), 6)
    0.0
    """
    lon, lat = np.asarray(lon, dtype="float64"), np.asarray(lat, dtype="float64")
    if lon.size == 0 or not np.isfinite(centre[0]):
        return math.nan
    _, _, dist = GEOD.inv(np.full(lon.size, centre[0]), np.full(lon.size, centre[1]), lon, lat)
    return float(np.sqrt(np.mean((np.asarray(dist) / 1000.0) ** 2)))


def west_km(lon: float, *, origin: Origin = DEFAULT_ORIGIN) -> float:
    """How far west of ``origin`` longitude ``lon`` lies, in km along the ellipsoid.

    The geodesic distance from the origin to ``(lon, origin.lat)``, negative
    when ``lon`` is east of the origin.

    Examples
    --------
    >>> round(west_km(BAZARAK.lon), 3)
    0.0
    >>> west_km(62.2) > 600 and west_km(70.0) < 0
    True
    """
    if not np.isfinite(lon):
        return math.nan
    _, _, dist = GEOD.inv(origin.lon, origin.lat, float(lon), origin.lat)
    return float(dist) / 1000.0 * (1.0 if lon <= origin.lon else -1.0)


def _westmost_records(clean: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The westmost exact event to date, after each exact event in date order.

    Returns ``(dates, lon, district)``: for the i-th dated exact event in date
    order, the longitude and district of the westmost exact event on or before
    its date (the earliest of equal longitudes). Search ``dates`` for a day to
    get the record as of that day.
    """
    exact = clean.loc[clean["exact"] & clean["date"].notna()].sort_values("date", kind="stable")
    dates = exact["date"].to_numpy(dtype="datetime64[ns]")
    lon = exact["lon"].to_numpy(dtype="float64")
    if lon.size == 0:
        return dates, lon, np.array([], dtype=object)
    running = np.minimum.accumulate(lon)
    previous = np.concatenate([[np.inf], running[:-1]])
    # A new record is strictly west of every earlier event; the record holder is the latest such event.
    holder = np.maximum.accumulate(np.where(lon < previous, np.arange(lon.size), 0))
    return dates, running, exact["adm2"].to_numpy(dtype=object)[holder]


def _period_range(dates: pd.Series, freq: str, start: dt.date | None, end: dt.date | None) -> pd.PeriodIndex:
    lo = [pd.Timestamp(start)] if start else []
    hi = [pd.Timestamp(end)] if end else []
    valid = dates.dropna()
    first = min(lo) if lo else (valid.min() if len(valid) else None)
    last = max(hi) if hi else (valid.max() if len(valid) else None)
    if first is None or last is None:
        return pd.PeriodIndex([], freq=freq)
    return pd.period_range(pd.Period(first, freq=freq), pd.Period(last, freq=freq), freq=freq)


# --------------------------------------------------------------------------- public API


def spread_metrics(
    events: pd.DataFrame,
    *,
    freq: str = DEFAULT_FREQ,
    origin: Origin = DEFAULT_ORIGIN,
    history: pd.DataFrame | None = None,
    start: dt.date | str | None = None,
    end: dt.date | str | None = None,
) -> pd.DataFrame:
    """Spread metrics per period: activity, first activity, westward reach, centre and dispersion.

    Parameters
    ----------
    events : pandas.DataFrame
        The selected events (schema of :mod:`geo.schema`), e.g. ``apply_filters(all, filters)``.
    freq : {"M", "Q", "Y"}, default "Q"
        Month, quarter or year.
    origin : Origin, default :data:`BAZARAK`
        Where ``west_km`` is measured from (:func:`origin_from_pcode` for another one).
    history : pandas.DataFrame, optional
        The events that define "first activity ever": the same selection without
        its date range (``apply_filters(all, history_filters(filters))``).
        Default: ``events`` itself. ``events`` are always added to it.
    start, end : datetime.date or str, optional
        The selection's date range: periods run from ``start``'s to ``end``'s
        (empty periods included, ``events == 0``), and a period only partly
        inside the range has ``partial`` True. Default: the first and last event.

    Returns
    -------
    pandas.DataFrame
        One row per period, columns :data:`METRIC_COLUMNS`:

        - ``period`` (label such as ``"2024Q2"``), ``start``/``end`` (calendar
          bounds, Timestamps), ``partial``;
        - ``events``; ``provinces``/``districts`` active (distinct P-codes);
        - ``new_provinces``/``new_districts``: sorted lists of P-codes first active
          in this period (see the module docstring); ``cumulative_provinces``/
          ``cumulative_districts``: distinct P-codes active in the history up to
          the period's end;
        - ``westmost_lon``/``westmost_lat``/``westmost_district`` (the westmost exact
          event) and ``west_km`` (see :func:`west_km`);
        - ``mean_lon``/``mean_lat`` (:func:`mean_centre`) and ``standard_distance_km``
          over the ``exact_events``;
        - ``west_share``: share of the events with a province that are in
          :data:`geo.settings.WESTERN_PROVINCES` (province-level events count);
        - what the point metrics left out: ``excluded_province_level`` (placed to a
          province only), ``excluded_unplaced`` (no province, also left out of
          ``provinces`` and ``west_share``), ``excluded_no_coordinates`` (a district
          but no usable coordinates, or a province-level precision).
          ``exact_events`` plus the three always equals ``events``.

        ``attrs``: ``freq``, ``origin`` (dict), ``undated_events`` (events without
        a date: in no period) and ``aggregate_rows_dropped``.

    Raises
    ------
    InputError
        For an unknown ``freq`` or a frame without the schema's columns.

    Examples
    --------
    >>> from geo.events import load_events
    >>> from geo.filters import Filters, apply_filters
    >>> nrf = apply_filters(load_events(), Filters(groups=("NRF",)))
    >>> m = spread_metrics(nrf, freq="Y")
    >>> int(m["events"].sum()) == len(nrf), m["period"].iloc[0]
    (True, '2021')
    """
    freq = check_freq(freq)
    start = pd.Timestamp(start).date() if start else None
    end = pd.Timestamp(end).date() if end else None
    ev = _clean(events)
    hist = ev if history is None else pd.concat([_clean(history), ev], ignore_index=True)
    first_adm1, first_adm2 = _first_dates(hist, "adm1"), _first_dates(hist, "adm2")

    dated = ev.loc[ev["date"].notna()]
    periods = _period_range(dated["date"], freq, start, end)
    # Plain arrays and one position index per period: per-period pandas indexing is what made this slow.
    positions = dated.groupby(dated["date"].dt.to_period(freq), sort=False).indices
    adm1_all, adm2_all = dated["adm1"].to_numpy(dtype=object), dated["adm2"].to_numpy(dtype=object)
    lon_all, lat_all = dated["lon"].to_numpy(), dated["lat"].to_numpy()
    exact_all, kind_all = dated["exact"].to_numpy(dtype=bool), dated["kind"].to_numpy(dtype=object)
    record_days, record_lon, record_district = _westmost_records(hist)
    first1_sorted, first2_sorted = np.sort(first_adm1.to_numpy()), np.sort(first_adm2.to_numpy())
    first1, first2 = first_adm1.to_dict(), first_adm2.to_dict()
    western = set(settings.WESTERN_PROVINCES)
    empty = np.array([], dtype=np.int64)
    rows = []
    for period in periods:
        p_start, p_end, p_last = period.start_time.normalize(), period.end_time.normalize(), period.end_time
        idx = positions.get(period, empty)
        adm1 = [c for c in adm1_all[idx] if c]
        adm2 = [c for c in adm2_all[idx] if c]
        set1, set2 = set(adm1), set(adm2)
        ex = idx[exact_all[idx]]
        lon, lat = lon_all[ex], lat_all[ex]
        kinds = collections.Counter(kind_all[idx])
        if len(ex):
            i = int(np.argmin(lon))
            w_lon, w_lat, w_dist = float(lon[i]), float(lat[i]), str(adm2_all[ex[i]])
        else:
            w_lon = w_lat = math.nan
            w_dist = ""
        centre = mean_centre(lon, lat)
        upto = int(np.searchsorted(record_days, np.datetime64(p_last), side="right")) - 1
        rows.append(
            {
                "period": str(period),
                "start": p_start,
                "end": p_end,
                "partial": bool((start and p_start.date() < start) or (end and p_end.date() > end)),
                "events": int(len(idx)),
                "provinces": len(set1),
                "districts": len(set2),
                "new_provinces": sorted(c for c in set1 if p_start <= first1[c] <= p_last),
                "new_districts": sorted(c for c in set2 if p_start <= first2[c] <= p_last),
                "cumulative_provinces": int(np.searchsorted(first1_sorted, np.datetime64(p_last), side="right")),
                "cumulative_districts": int(np.searchsorted(first2_sorted, np.datetime64(p_last), side="right")),
                "westmost_lon": w_lon,
                "westmost_lat": w_lat,
                "westmost_district": w_dist,
                "west_km": west_km(w_lon, origin=origin),
                "west_km_to_date": west_km(record_lon[upto], origin=origin) if upto >= 0 else math.nan,
                "westmost_district_to_date": record_district[upto] if upto >= 0 else "",
                "mean_lon": centre[0],
                "mean_lat": centre[1],
                "standard_distance_km": standard_distance_km(lon, lat, centre),
                "exact_events": int(len(ex)),
                "west_share": sum(c in western for c in adm1) / len(adm1) if adm1 else math.nan,
                "excluded_province_level": kinds["province_level"],
                "excluded_unplaced": kinds["unplaced"],
                "excluded_no_coordinates": kinds["no_coordinates"],
            }
        )
    out = pd.DataFrame(rows, columns=list(METRIC_COLUMNS))
    out.attrs.update(
        {
            "freq": freq,
            "origin": origin.as_dict(),
            "undated_events": int(ev["date"].isna().sum()),
            "aggregate_rows_dropped": ev.attrs["aggregate_rows_dropped"],
        }
    )
    return out


def western_share(events: pd.DataFrame) -> float:
    """Share of the events placed at least to a province that are in :data:`geo.settings.WESTERN_PROVINCES`.

    Province-level events count; unplaced events and aggregate statements do not. NaN when none is placed.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"event_date": pd.to_datetime(["2024-09-01"] * 3),
    ...     "adm1_pcode": ["AF32", "AF08", ""], "adm2_pcode": ["", "AF0801", ""]})
    >>> western_share(frame)
    0.5
    """
    adm1 = _clean(events)["adm1"]
    placed = adm1.loc[adm1 != ""]
    return float(placed.isin(settings.WESTERN_PROVINCES).mean()) if len(placed) else math.nan


def events_per_period(
    events: pd.DataFrame,
    *,
    freq: str = DEFAULT_FREQ,
    start: dt.date | str | None = None,
    end: dt.date | str | None = None,
) -> pd.DataFrame:
    """Events per period and group (long form, for a stacked chart), empty periods included.

    Returns
    -------
    pandas.DataFrame
        ``period, start, group, events``: one row per period and group present
        in ``events`` (zeros included), periods as in :func:`spread_metrics`.

    Examples
    --------
    >>> from geo.events import load_events
    >>> from geo.filters import Filters, apply_filters
    >>> sel = apply_filters(load_events(), Filters(groups=("NRF", "AFF")))
    >>> per = events_per_period(sel, freq="Y")
    >>> int(per["events"].sum()) == len(sel), sorted(per["group"].unique())
    (True, ['AFF', 'NRF'])
    """
    freq = check_freq(freq)
    start = pd.Timestamp(start).date() if start else None
    end = pd.Timestamp(end).date() if end else None
    ev = _clean(events)
    dated = ev.loc[ev["date"].notna()]
    periods = _period_range(dated["date"], freq, start, end)
    present = set(dated["group"])
    groups = [g for g in GROUPS if g in present] + sorted(present - set(GROUPS))
    counts = dated.groupby([dated["date"].dt.to_period(freq), "group"]).size()
    rows = [
        {"period": str(p), "start": p.start_time, "group": g, "events": int(counts.get((p, g), 0))}
        for p in periods
        for g in groups
    ]
    return pd.DataFrame(rows, columns=["period", "start", "group", "events"])


def first_activity(
    events: pd.DataFrame,
    *,
    level: str = "district",
    freq: str = DEFAULT_FREQ,
    history: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """First activity of each province or district active in ``events``.

    Parameters
    ----------
    events : pandas.DataFrame
        The selected events; one row comes out per P-code active in them.
    level : {"district", "province"}
        Districts use ``adm2_pcode`` (province-level events left out); provinces
        use ``adm1_pcode`` (province-level events included).
    freq : {"M", "Q", "Y"}
        For ``first_period``.
    history : pandas.DataFrame, optional
        Defines "ever", as in :func:`spread_metrics`.

    Returns
    -------
    pandas.DataFrame
        ``pcode, first_date, date_precision, first_period, group, events``, sorted by
        first date then P-code (``date_precision``: of the earliest event, the finest of a tie). ``group``: the group(s) of the earliest event(s) there, joined
        with ", "; ``events``: how many of ``events`` are there.

    Examples
    --------
    >>> from geo.events import load_events
    >>> from geo.filters import Filters, apply_filters
    >>> nrf = apply_filters(load_events(), Filters(groups=("NRF",)))
    >>> fa = first_activity(nrf, level="province")
    >>> fa["pcode"].iloc[0], str(fa["first_date"].iloc[0].date())
    ('AF08', '2021-08-30')
    """
    if level not in ("district", "province"):
        raise InputError(f"expected 'district' or 'province', got {level!r}", field="level")
    freq = check_freq(freq)
    col = "adm2" if level == "district" else "adm1"
    ev = _clean(events, labels=True)
    hist = ev if history is None else pd.concat([_clean(history, labels=True), ev], ignore_index=True)
    hist = hist.loc[(hist[col] != "") & hist["date"].notna()]
    active = ev.loc[ev[col] != "", col].value_counts()
    columns = ["pcode", "first_date", "date_precision", "first_period", "group", "events"]
    if active.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    hist = hist.loc[hist[col].isin(active.index)]
    first = hist.groupby(col)["date"].min()
    earliest = hist.loc[hist["date"] == hist[col].map(first)]
    order = {g: i for i, g in enumerate(GROUPS)}
    who = earliest.groupby(col)["group"].agg(lambda s: ", ".join(sorted(set(s), key=lambda g: order.get(g, 99))))
    out = pd.DataFrame({"pcode": active.index.astype(str)})
    out["first_date"] = out["pcode"].map(first)
    finest = earliest.assign(rank=earliest["date_precision"].map(_PRECISION_RANK).fillna(len(_PRECISION_RANK)))
    finest = finest.sort_values("rank", kind="stable").drop_duplicates(col).set_index(col)["date_precision"]
    out["date_precision"] = out["pcode"].map(finest).fillna("day")
    out["first_period"] = out["first_date"].map(lambda d: str(d.to_period(freq)) if pd.notna(d) else "")
    out["group"] = out["pcode"].map(who).fillna("")
    out["events"] = out["pcode"].map(active).astype(int)
    return out.sort_values(["first_date", "pcode"], na_position="last").reset_index(drop=True)


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (plural or word + 's')}"


def _actor_phrase(groups: list[str], *, selected: bool) -> str:
    names = [SENTENCE_NAMES.get(g, g) for g in groups]
    if not names:
        return "the selected groups" if selected else "armed groups"
    if len(names) > 3:
        return f"the {len(names)} selected groups" if selected else "all recorded groups"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def selection_groups(events: pd.DataFrame, *, filters: Filters | None = None) -> list[str]:
    """The groups a selection is about: the filter's, else those present in ``events``, in :data:`GROUPS` order.

    Examples
    --------
    >>> selection_groups(pd.DataFrame(), filters=Filters(groups=("AFF", "NRF")))
    ['NRF', 'AFF']
    """
    if filters and filters.groups:
        return [g for g in GROUPS if g in filters.groups]
    present = set(_text_column(events, "group")) - {""} if len(events) else set()
    return [g for g in GROUPS if g in present] + sorted(present - set(GROUPS))


def actor_adjective(groups: list[str]) -> str:
    """The groups as the adjective in "First NRF attack reported...": ``""`` when no short form fits.

    Examples
    --------
    >>> actor_adjective(["NRF"]), actor_adjective(["NRF", "AFF"]), actor_adjective(["NRF", "Other"])
    ('NRF', 'NRF or AFF', '')
    """
    names = [ADJECTIVES.get(g) for g in groups]
    if not names or len(names) > 3 or None in names:
        return ""
    return " or ".join(names)


def _claim_breakdown(claims: pd.Series) -> str:
    """ "12 self-claimed, 8 media-reported, 1 officially confirmed" in :data:`CLAIM_WORDS` order."""
    counts = claims.value_counts()
    parts = [f"{int(counts[c]):,} {word}" for c, word in CLAIM_WORDS.items() if counts.get(c, 0)]
    unknown = int(len(claims) - sum(counts.get(c, 0) for c in CLAIM_WORDS))
    if unknown:
        parts.append(f"{unknown:,} without a claim status")
    return ", ".join(parts)


def period_sentence(events: pd.DataFrame, *, filters: Filters | None = None) -> str:
    """The one-sentence summary analysts quote, with the real numbers of the selection, worded as reports.

    Every event is a claim or a report, so the sentence says "claimed or reported", never
    "carried out", and breaks the number down by ``claim_status``. The dates are the
    filter's when given, else the first and last event's; the actor is the filtered
    group(s), else the groups present; every event counts (aggregate statements
    excepted), provinces are distinct ``adm1_pcode``.

    Examples
    --------
    >>> from geo.events import load_events
    >>> from geo.filters import Filters, apply_filters
    >>> f = Filters(groups=("NRF",), start="2024-03-01", end="2025-03-31")
    >>> period_sentence(apply_filters(load_events(), f), filters=f)
    'Between 1 Mar 2024 and 31 Mar 2025, 21 attacks by the NRF were claimed or reported across 8 provinces \
(12 self-claimed, 8 media-reported, 1 officially confirmed)'
    """
    ev = _clean(events, labels=True)
    dates = ev["date"].dropna()
    first = filters.start if filters and filters.start else (dates.min().date() if len(dates) else None)
    last = filters.end if filters and filters.end else (dates.max().date() if len(dates) else None)
    actor = _actor_phrase(selection_groups(events, filters=filters), selected=bool(filters and filters.groups))
    when = f"Between {date_label(first)} and {date_label(last)}" if first and last else "In the selected period"
    n = len(ev)
    if n == 0:
        return f"{when}, no attacks by {actor} are reported in the data"
    verb = "was" if n == 1 else "were"
    provinces = int(ev.loc[ev["adm1"] != "", "adm1"].nunique())
    if provinces == 0:
        where = "none of them placed to a province"
        return f"{when}, {_plural(n, 'attack')} by {actor} {verb} claimed or reported, {where}"
    where = f"in {_plural(provinces, 'province')}" if provinces == 1 else f"across {_plural(provinces, 'province')}"
    return f"{when}, {_plural(n, 'attack')} by {actor} {verb} claimed or reported {where} ({_claim_breakdown(ev['claim'])})"


def period_label(period: str, freq: str) -> str:
    """A period as a reader says it: ``Sep 2024``, ``Jul–Sep 2024``, ``2024``.

    Examples
    --------
    >>> period_label("2024-09", "M"), period_label("2024Q3", "Q"), period_label("2024", "Y")
    ('Sep 2024', 'Jul–Sep 2024', '2024')
    """
    freq = check_freq(freq)
    value = pd.Period(period, freq=freq)
    if freq == "M":
        return f"{value.start_time:%b %Y}"
    if freq == "Q":
        return f"{value.start_time:%b}–{value.end_time:%b %Y}"
    return str(value.year)


def month_when(event_date: object, date_precision: object = "day") -> str:
    """When an event happened, at a glance: a day as its month (``Sep 2024``), a coarser date with its precision.

    A day-precision date is shown as its month (coarser than the report, never
    finer); a week, month or year reads as :func:`geo.display.date_label` writes it,
    since a week near a month's end may fall in the next month.

    Examples
    --------
    >>> month_when("2024-09-03"), month_when("2025-09-01", "month"), month_when("2021-09-12", "week")
    ('Sep 2024', 'Sep 2025 (month)', 'week of 12 Sep 2021 (week)')
    """
    precision = str(date_precision or "day").strip().lower()
    if precision != "day":
        return date_label(event_date, precision)
    stamp = pd.Timestamp(event_date)
    return f"{stamp:%b %Y}"


#: Columns of :func:`first_reports`.
FIRST_REPORT_COLUMNS: tuple[str, ...] = (
    "adm1_pcode",
    "province",
    "first_date",
    "date_precision",
    "period",
    "events",
    "line",
)


@functools.lru_cache(maxsize=4)
def _ocha_names(folder: str) -> dict[str, str]:
    """P-code -> OCHA English name of every province and district (the gazetteer's admin units)."""
    units = read_csv_table(Path(folder) / settings.ADMIN_UNITS_FILE)
    return dict(zip(units["pcode"], units["name_en"], strict=True))


def ocha_name(pcode: str, default: str = "") -> str:
    """The OCHA English name of a province or district P-code (``default`` for an unknown code).

    Examples
    --------
    >>> ocha_name("AF32"), ocha_name("AF3202"), ocha_name("AF99", "?")
    ('Hirat', 'Injil', '?')
    """
    return _ocha_names(str(settings.gazetteer_dir())).get(str(pcode), default)


def _province_names(*frames: pd.DataFrame) -> dict[str, str]:
    """P-code -> display name (:func:`geo.display.unit_label`): the OCHA name, else the events' own ``admin1``."""
    names: dict[str, str] = {}
    for frame in frames:
        named = frame.loc[frame["adm1"] != "", ["adm1", "adm1_name"]].drop_duplicates("adm1")
        for code, name in named.itertuples(index=False):
            names.setdefault(code, ocha_name(code, name or code))
    return {code: unit_label(code, name) for code, name in names.items()}


def first_report_line(actor: str, province: str, when: str, events: int, period: str, freq: str) -> str:
    """ "First NRF attack reported in Herat (Hirat): Sep 2024 (3 events in Jul–Sep 2024)".

    Examples
    --------
    >>> first_report_line("NRF", "Herat (Hirat)", "Sep 2024", 3, "2024Q3", "Q")
    'First NRF attack reported in Herat (Hirat): Sep 2024 (3 events in Jul–Sep 2024)'
    >>> first_report_line("", "Faryab", "Dec 2024", 1, "2024-12", "M")
    'First attack reported in Faryab: Dec 2024 (1 event that month)'
    """
    span = "that month" if check_freq(freq) == "M" else f"in {period_label(period, freq)}"
    subject = f"First {actor} attack" if actor else "First attack"
    return f"{subject} reported in {province}: {when} ({_plural(events, 'event')} {span})"


def first_reports(
    events: pd.DataFrame,
    *,
    history: pd.DataFrame | None = None,
    freq: str = DEFAULT_FREQ,
    filters: Filters | None = None,
) -> pd.DataFrame:
    """The provinces the selection reached for the first time, in order, each with the line the Spread page shows.

    A province is listed when its first event ever (in ``history``, as in
    :func:`spread_metrics`) falls inside the selection's dates (``filters.start`` to
    ``filters.end``; no dates: every province the selection reaches). Province-level
    events count: a report that names only the province still reaches it.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`FIRST_REPORT_COLUMNS`, sorted by ``first_date``:
        ``adm1_pcode``; ``province`` (:func:`geo.display.unit_label`, "Herat (Hirat)");
        ``first_date`` (Timestamp) and ``date_precision`` of the earliest event (of
        several on that day, the most precisely dated); ``period`` (its label at
        ``freq``); ``events``: the selection's events in that province in that period;
        ``line``: :func:`first_report_line`.

    Examples
    --------
    >>> from geo.events import load_events
    >>> from geo.filters import Filters, apply_filters
    >>> f = Filters(groups=("NRF",), start="2024-03-01", end="2025-03-31")
    >>> everything = load_events()
    >>> rows = first_reports(apply_filters(everything, f), history=apply_filters(everything, history_filters(f)),
    ...                      filters=f)
    >>> rows["line"].tolist()  # doctest: +NORMALIZE_WHITESPACE
    ['First NRF attack reported in Herat (Hirat): Sep 2024 (3 events in Jul–Sep 2024)',
     'First NRF attack reported in Faryab: Dec 2024 (1 event in Oct–Dec 2024)']
    """
    freq = check_freq(freq)
    ev = _clean(events, labels=True)
    hist = ev if history is None else pd.concat([_clean(history, labels=True), ev], ignore_index=True)
    active = ev.loc[(ev["adm1"] != "") & ev["date"].notna()]
    if active.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in FIRST_REPORT_COLUMNS})
    hist = hist.loc[hist["adm1"].isin(set(active["adm1"])) & hist["date"].notna()]
    hist = hist.assign(rank=hist["date_precision"].map(_PRECISION_RANK).fillna(len(_PRECISION_RANK)))
    first = hist.sort_values(["date", "rank"], kind="stable").drop_duplicates("adm1").set_index("adm1")
    start = pd.Timestamp(filters.start) if filters and filters.start else None
    end = pd.Timestamp(filters.end) if filters and filters.end else None
    inside = pd.Series(True, index=first.index)
    if start is not None:
        inside &= first["date"] >= start
    if end is not None:
        inside &= first["date"] <= end
    first = first.loc[inside]
    names = _province_names(ev, hist)
    actor = actor_adjective(selection_groups(events, filters=filters))
    active_periods = active["date"].dt.to_period(freq)
    rows = []
    for code, row in first.iterrows():
        period = row["date"].to_period(freq)
        n = int(((active["adm1"] == code) & (active_periods == period)).sum())
        province = names.get(code, code)
        rows.append(
            {
                "adm1_pcode": code,
                "province": province,
                "first_date": row["date"],
                "date_precision": row["date_precision"],
                "period": str(period),
                "events": n,
                "line": first_report_line(
                    actor, province, month_when(row["date"], row["date_precision"]), n, str(period), freq
                ),
            }
        )
    return pd.DataFrame(rows, columns=list(FIRST_REPORT_COLUMNS))


def first_reports_records(reports: pd.DataFrame) -> list[dict[str, object]]:
    """:func:`first_reports` as JSON-ready dicts (``first_date`` as ISO date).

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"event_date": pd.to_datetime(["2024-09-01"]), "group": ["NRF"], "admin1": ["Hirat"],
    ...     "adm1_pcode": ["AF32"], "adm2_pcode": [""], "date_precision": ["month"]})
    >>> first_reports_records(first_reports(frame))[0]["line"]
    'First NRF attack reported in Herat (Hirat): Sep 2024 (month) (1 event in Jul–Sep 2024)'
    """
    return [
        {**row, "first_date": row["first_date"].date().isoformat(), "events": int(row["events"])}
        for row in reports.to_dict(orient="records")
    ]


@dataclasses.dataclass(frozen=True)
class Reach:
    """The westmost event placed at least to a district: how far west a selection has reached.

    Attributes
    ----------
    west_km : float
        :func:`west_km` of the event from the origin.
    lon, lat : float
        The event's point (a district centre when ``geo_precision`` is 2).
    adm1_pcode, adm2_pcode, province, district : str
        Where; names as :func:`geo.display.unit_label` writes them.
    date : pandas.Timestamp
        The first event that reached this far (of equal longitudes, the earliest).
    date_precision : str
    geo_precision : float
    event_id : str
    """

    west_km: float
    lon: float
    lat: float
    adm1_pcode: str
    adm2_pcode: str
    province: str
    district: str
    date: pd.Timestamp
    date_precision: str
    geo_precision: int
    event_id: str

    @property
    def when(self) -> str:
        """The date with its precision (:func:`geo.display.date_label`)."""
        return date_label(self.date, self.date_precision)

    @property
    def placement(self) -> str:
        """What the point stands for (:func:`geo.display.placement_label`)."""
        return placement_label(self.geo_precision)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready, with the human-readable ``when`` and ``placement``."""
        out = dataclasses.asdict(self)
        out.update(date=self.date.date().isoformat(), when=self.when, placement=self.placement)
        out["west_km"] = round(self.west_km, 3)
        return out


def farthest_west(
    events: pd.DataFrame,
    *,
    history: pd.DataFrame | None = None,
    origin: Origin = DEFAULT_ORIGIN,
    end: dt.date | str | None = None,
) -> Reach | None:
    """The westmost exact event of the selection to date: the largest westward reach ever, up to ``end``.

    "To date" reads the history (the selection without its dates, as in
    :func:`spread_metrics`) up to ``end`` (default: every event), so a date range that
    starts after the westmost event still shows how far west the group had been.
    ``None`` when no event is placed to a district with coordinates.

    Examples
    --------
    >>> from geo.events import load_events
    >>> from geo.filters import Filters, apply_filters
    >>> reach = farthest_west(apply_filters(load_events(), Filters(groups=("NRF",))))
    >>> reach.district, reach.province, round(reach.west_km), reach.when, reach.placement
    ('Injil', 'Herat (Hirat)', 670, '3 Sep 2024', 'placed at district centre')
    """
    ev = _clean(events, labels=True)
    hist = ev if history is None else pd.concat([_clean(history, labels=True), ev], ignore_index=True)
    exact = hist.loc[hist["exact"] & hist["date"].notna()]
    if end:
        exact = exact.loc[exact["date"] <= pd.Timestamp(end)]
    if exact.empty:
        return None
    exact = exact.assign(rank=exact["date_precision"].map(_PRECISION_RANK).fillna(len(_PRECISION_RANK)))
    row = exact.sort_values(["lon", "date", "rank"], kind="stable").iloc[0]
    names = _province_names(ev, hist)
    return Reach(
        west_km=west_km(float(row["lon"]), origin=origin),
        lon=float(row["lon"]),
        lat=float(row["lat"]),
        adm1_pcode=row["adm1"],
        adm2_pcode=row["adm2"],
        province=names.get(row["adm1"], row["adm1"]),
        district=common_name(row["adm2"], ocha_name(row["adm2"], row["adm2_name"] or row["adm2"])),
        date=row["date"],
        date_precision=row["date_precision"],
        geo_precision=int(row["precision"]),
        event_id=row["event_id"],
    )


#: The two measures of :func:`reach_series`.
REACH_TO_DATE = "farthest so far"


def reach_series(metrics: pd.DataFrame, *, freq: str) -> pd.DataFrame:
    """The westward reach per period in long form, for a chart: the farthest so far beside the period's own.

    The per-period reach jumps (670 km in one quarter, 30 km in the next, when the
    next quarter's events are all in the north-east); the farthest reached so far
    (``west_km_to_date``, a running maximum over the history) never goes back.

    Returns
    -------
    pandas.DataFrame
        ``period, label, measure, km, district``: ``measure`` is :data:`REACH_TO_DATE`
        or ``"this quarter"`` (month, year); ``label`` from :func:`period_label`;
        ``district`` the westmost district's name. Periods without a value are left out.

    Examples
    --------
    >>> from geo.events import load_events
    >>> from geo.filters import Filters, apply_filters
    >>> m = spread_metrics(apply_filters(load_events(), Filters(groups=("NRF",))), freq="Q")
    >>> s = reach_series(m, freq="Q").set_index(["label", "measure"])["km"].round()
    >>> s[("Oct–Dec 2024", "this quarter")], s[("Oct–Dec 2024", "farthest so far")]
    (np.float64(476.0), np.float64(670.0))
    """
    freq = check_freq(freq)
    labels = metrics["period"].map(lambda p: period_label(p, freq))

    def district(codes: pd.Series) -> pd.Series:
        return codes.map(lambda c: common_name(c, ocha_name(c, c)) if c else "")

    frames = [
        pd.DataFrame(
            {
                "period": metrics["period"],
                "label": labels,
                "measure": REACH_TO_DATE,
                "km": metrics["west_km_to_date"],
                "district": district(metrics["westmost_district_to_date"]),
            }
        ),
        pd.DataFrame(
            {
                "period": metrics["period"],
                "label": labels,
                "measure": f"this {FREQS[freq]}",
                "km": metrics["west_km"],
                "district": district(metrics["westmost_district"]),
            }
        ),
    ]
    return pd.concat(frames, ignore_index=True).dropna(subset=["km"]).reset_index(drop=True)


def reach_note(reach: Reach | None) -> str:
    """Which event the reach is measured to, with its date and placement precision.

    Examples
    --------
    >>> from geo.events import load_events
    >>> from geo.filters import Filters, apply_filters
    >>> reach_note(farthest_west(apply_filters(load_events(), Filters(groups=("NRF",)))))
    'Measured to the westmost event placed to a district or place: DEV-068, Injil, Herat (Hirat), 3 Sep 2024, \
placed at district centre.'
    """
    if reach is None:
        return "Reach is measured to events placed to a district or place; this selection has none."
    where = f"{reach.district}, {reach.province}" if reach.district else reach.province
    ident = f"{reach.event_id}, " if reach.event_id else ""
    return (
        f"Measured to the westmost event placed to a district or place: {ident}{where}, {reach.when}, "
        f"{reach.placement}."
    )


def reach_headline(reach: Reach | None, *, groups: list[str], origin: Origin = DEFAULT_ORIGIN) -> str:
    """The answer to "how far west, and when?" in one line.

    Examples
    --------
    >>> from geo.events import load_events
    >>> from geo.filters import Filters, apply_filters
    >>> nrf = apply_filters(load_events(), Filters(groups=("NRF",)))
    >>> reach_headline(farthest_west(nrf), groups=["NRF"])
    'NRF attacks reported as far west as Injil, Herat (Hirat): 670 km west of Bazarak, Panjshir, on 3 Sep 2024'
    >>> reach_headline(None, groups=["ALM"])
    'No ALM attack in this selection is placed to a district: the westward reach cannot be measured'
    """
    actor = actor_adjective(groups)
    if reach is None:
        return f"No {actor + ' ' if actor else ''}attack in this selection is placed to a district: the westward reach cannot be measured"
    subject = f"{actor} attacks" if actor else "Attacks"
    where = f"{reach.district}, {reach.province}" if reach.district else reach.province
    distance = (
        f"{reach.west_km:,.0f} km west of {origin.name}"
        if reach.west_km >= 0
        else f"{-reach.west_km:,.0f} km east of {origin.name}"
    )
    when = reach.when
    when = f"in {when}" if reach.date_precision in ("month", "year") else f"on {when}"
    return f"{subject} reported as far west as {where}: {distance}, {when}"


def west_caveat(events: pd.DataFrame, *, subject: str = "This selection") -> str:
    """The under-reporting caveat with the selection's own numbers for the western provinces.

    ``subject`` names what ``events`` are ("This selection", "The loaded data").

    Examples
    --------
    >>> from geo.events import load_events
    >>> from geo.filters import Filters, apply_filters
    >>> west_caveat(apply_filters(load_events(), Filters(groups=("NRF",))))  # doctest: +NORMALIZE_WHITESPACE
    'The west is under-reported: few dated reports of single attacks were found for Herat, Farah, Badghis, Ghor and
    Nimruz; low counts there are not evidence of few attacks. This selection: 5 of 70 events there (Herat 5), none in
    Farah, Badghis, Ghor, Nimruz.'
    """
    ev = _clean(events, labels=True)
    western = list(settings.WESTERN_PROVINCES)
    names = {code: common_name(code, ocha_name(code, code)) for code in western}
    counts = ev["adm1"].value_counts()
    listed = ", ".join(names[c] for c in western[:-1]) + " and " + names[western[-1]]
    text = (
        f"The west is under-reported: few dated reports of single attacks were found for {listed}; low counts there "
        "are not evidence of few attacks."
    )
    present = [c for c in western if counts.get(c, 0)]
    absent = [names[c] for c in western if not counts.get(c, 0)]
    total = int(sum(counts.get(c, 0) for c in western))
    if present:
        parts = ", ".join(f"{names[c]} {int(counts[c])}" for c in present)
        text += f" {subject}: {total:,} of {len(ev):,} events there ({parts})"
        text += f", none in {', '.join(absent)}." if absent else "."
    elif len(ev):
        text += f" {subject}: none of its {len(ev):,} events there."
    return text


#: Province states in the per-year panels: fill colour and legend text (ColorBrewer Reds; they differ in lightness,
#: so they read apart with any colour vision and in greyscale).
PANEL_STATES: dict[str, tuple[str, str]] = {
    "new": ("#a50f15", "first reported this year"),
    "active": ("#fb6a4a", "reported again this year"),
    "earlier": ("#fcbba1", "reached in an earlier year"),
    "none": ("#ffffff", "no report yet"),
}

#: Width of a panel's drawing in SVG user units (the drawing scales to its box).
PANEL_WIDTH = 1000

#: Douglas-Peucker tolerance (degrees) for the panels' province outlines: under half a pixel at 250 px wide.
PANEL_SIMPLIFY_DEG = 0.025


def year_panels(
    events: pd.DataFrame,
    *,
    history: pd.DataFrame | None = None,
    origin: Origin = DEFAULT_ORIGIN,
    start: dt.date | str | None = None,
    end: dt.date | str | None = None,
) -> list[dict[str, object]]:
    """What each year of the selection adds to the map: the data of the small multiple maps.

    For each calendar year from ``start``'s (else the first event's) to ``end``'s
    (else the last event's), every province has a state (:data:`PANEL_STATES`):
    ``new`` (its first event ever, in ``history``, falls in that year), ``active``
    (reached before, reported again that year), ``earlier`` (reached before, quiet
    that year) or ``none``. Province-level events count toward the states; only
    exact events are drawn as dots.

    Returns
    -------
    list of dict
        One per year: ``year``, ``events``, ``states`` (P-code -> state, every
        province with activity up to that year), ``new`` (list of ``{"adm1_pcode",
        "province", "first_date", "when"}`` in date order), ``points`` (``[lon, lat]``
        of the year's exact events), ``west_km_to_date``/``westmost_lon_to_date``
        (the farthest west reached by the year's end, from the history) and
        ``caption`` (one line: "2024 · 20 events · new: Herat (Hirat), Faryab · farthest
        west so far 670 km"; a year the dates cut says so: "2025 (to 31 Mar 2025)").
        Provinces first reached after ``end`` are left out, as is reach after ``end``.

    Examples
    --------
    >>> from geo.events import load_events
    >>> from geo.filters import Filters, apply_filters
    >>> panels = year_panels(apply_filters(load_events(), Filters(groups=("NRF",))))
    >>> [p["year"] for p in panels], panels[3]["caption"]
    ([2021, 2022, 2023, 2024, 2025], '2024 · 20 events · new: Herat (Hirat), Faryab · farthest west so far 670 km')
    """
    ev = _clean(events, labels=True)
    hist = ev if history is None else pd.concat([_clean(history, labels=True), ev], ignore_index=True)
    dated = ev.loc[ev["date"].notna()]
    years = _period_range(
        dated["date"], "Y", pd.Timestamp(start).date() if start else None, pd.Timestamp(end).date() if end else None
    )
    last_day = pd.Timestamp(end) if end else None
    placed = hist.loc[(hist["adm1"] != "") & hist["date"].notna()]
    if last_day is not None:  # what was first reached after the selection's end is not part of its story
        placed = placed.loc[placed["date"] <= last_day]
    placed = placed.assign(rank=placed["date_precision"].map(_PRECISION_RANK).fillna(len(_PRECISION_RANK)))
    first = placed.sort_values(["date", "rank"], kind="stable").drop_duplicates("adm1").set_index("adm1")
    names = _province_names(ev, hist)
    record_days, record_lon, _ = _westmost_records(hist)
    panels = []
    for period in years:
        year = int(period.year)
        in_year = dated.loc[dated["date"].dt.year == year]
        active = set(in_year.loc[in_year["adm1"] != "", "adm1"])
        states = {}
        for code, row in first.iterrows():
            first_year = int(row["date"].year)
            if first_year > year:
                continue
            states[code] = "new" if first_year == year else ("active" if code in active else "earlier")
        new = [
            {
                "adm1_pcode": code,
                "province": names.get(code, code),
                "first_date": row["date"].date().isoformat(),
                "when": date_label(row["date"], row["date_precision"]),
            }
            for code, row in first.loc[first["date"].dt.year == year].iterrows()
        ]
        as_of = min(period.end_time, last_day) if last_day is not None else period.end_time
        upto = int(np.searchsorted(record_days, np.datetime64(as_of), side="right")) - 1
        lon_to_date = float(record_lon[upto]) if upto >= 0 else math.nan
        km = west_km(lon_to_date, origin=origin)
        exact = in_year.loc[in_year["exact"]]
        first_day = pd.Timestamp(start) if start else None
        label = str(year)
        if first_day is not None and first_day > period.start_time:
            label += f" (from {date_label(first_day)})"
        if last_day is not None and last_day < period.end_time.normalize():
            label += f" (to {date_label(last_day)})"
        parts = [label, _plural(len(in_year), "event")]
        if new:
            parts.append("new: " + ", ".join(n["province"] for n in new))
        if np.isfinite(km):
            parts.append(f"farthest west so far {km:,.0f} km")
        panels.append(
            {
                "year": year,
                "events": int(len(in_year)),
                "states": states,
                "new": new,
                "points": exact[["lon", "lat"]].round(4).to_numpy().tolist(),
                "west_km_to_date": km,
                "westmost_lon_to_date": lon_to_date,
                "caption": " · ".join(parts),
            }
        )
    return panels


def _svg_path(geometry, project) -> str:
    """SVG path data of a (multi)polygon, in integer user units."""
    from shapely.geometry import MultiPolygon

    polygons = geometry.geoms if isinstance(geometry, MultiPolygon) else [geometry]
    parts = []
    for polygon in polygons:
        for ring in (polygon.exterior, *polygon.interiors):
            xs, ys = project(*np.asarray(ring.coords).T[:2])
            points = " ".join(f"{x:.0f} {y:.0f}" for x, y in zip(xs, ys, strict=True))
            parts.append(f"M{points}Z")
    return "".join(parts)


def year_panels_html(panels: list[dict[str, object]], *, provinces, origin: Origin = DEFAULT_ORIGIN) -> str:
    """The small multiple maps of :func:`year_panels` as one HTML block: a wrapping grid of SVG maps and a legend.

    Plain SVG (no script, no outside resource): provinces filled by their state,
    the year's exact events as dots, a dashed line at the farthest west reached so
    far and the origin as a white dot. Each province carries a ``<title>`` (its name
    and state); every name is HTML-escaped. The grid wraps: five maps a row on a
    wide screen, two on a phone.

    Parameters
    ----------
    panels : list of dict
        :func:`year_panels` output.
    provinces : geopandas.GeoDataFrame
        Province boundaries (``pcode``, ``name_en``, geometry in WGS84), e.g. the simplified ones.
    origin : Origin
        Drawn as a white dot.

    Examples
    --------
    >>> from geo.boundaries import load_provinces
    >>> from geo.events import load_events
    >>> from geo.filters import Filters, apply_filters
    >>> html_block = year_panels_html(year_panels(apply_filters(load_events(), Filters(groups=("NRF",)))),
    ...                               provinces=load_provinces(simplified=True))
    >>> html_block.count("<svg"), "<script" in html_block
    (5, False)
    """
    minx, miny, maxx, maxy = provinces.total_bounds
    aspect = math.cos(math.radians((miny + maxy) / 2))
    scale = PANEL_WIDTH / ((maxx - minx) * aspect)
    height = math.ceil((maxy - miny) * scale)

    def project(lon, lat):
        return (np.asarray(lon) - minx) * aspect * scale, (maxy - np.asarray(lat)) * scale

    outlines = provinces.geometry.simplify(PANEL_SIMPLIFY_DEG, preserve_topology=True)
    paths = {code: _svg_path(geom, project) for code, geom in zip(provinces["pcode"], outlines, strict=True)}
    labels = {
        code: escape_text(unit_label(code, name))
        for code, name in zip(provinces["pcode"], provinces["name_en"], strict=True)
    }
    ox, oy = project(origin.lon, origin.lat)
    cells = []
    for panel in panels:
        states = panel["states"]
        shapes = []
        for code, d in paths.items():
            state = states.get(code, "none")
            fill, meaning = PANEL_STATES[state]
            shapes.append(
                f'<path d="{d}" fill="{fill}" stroke="#7a7a7a" stroke-width="3" stroke-linejoin="round">'
                f"<title>{labels[code]}: {escape_text(meaning)}</title></path>"
            )
        for lon, lat in panel["points"]:
            x, y = project(lon, lat)
            shapes.append(f'<circle cx="{float(x):.0f}" cy="{float(y):.0f}" r="9" fill="#1a1a1a" fill-opacity="0.8"/>')
        if np.isfinite(panel["westmost_lon_to_date"]):
            x, _ = project(panel["westmost_lon_to_date"], maxy)
            shapes.append(
                f'<line x1="{float(x):.0f}" y1="0" x2="{float(x):.0f}" y2="{height}" stroke="#67001f" '
                'stroke-width="5" stroke-dasharray="18 12"/>'
            )
        shapes.append(
            f'<circle cx="{float(ox):.0f}" cy="{float(oy):.0f}" r="13" fill="#ffffff" stroke="#000000" stroke-width="5">'
            f"<title>{escape_text(origin.name)}</title></circle>"
        )
        caption = escape_text(panel["caption"])
        year = escape_text(str(panel["year"]))
        cells.append(
            '<figure class="afg-year" style="margin:0;min-width:0">'
            f'<svg viewBox="0 0 {PANEL_WIDTH} {height}" width="100%" role="img" aria-label="{caption}" '
            f'style="display:block;height:auto">{"".join(shapes)}</svg>'
            f'<figcaption style="font-size:0.8rem;line-height:1.3;margin-top:2px"><b>{year}</b>'
            f"{caption[len(year) :]}</figcaption></figure>"
        )
    swatches = "".join(
        f'<span style="white-space:nowrap;margin-right:14px"><span style="display:inline-block;width:12px;'
        f'height:12px;background:{fill};border:1px solid #7a7a7a;vertical-align:-1px;margin-right:4px"></span>'
        f"{escape_text(meaning)}</span>"
        for fill, meaning in PANEL_STATES.values()
    )
    legend = (
        f'<div class="afg-years-legend" style="font-size:0.8rem;margin-top:4px">{swatches}'
        '<span style="white-space:nowrap;margin-right:14px">● event placed to a district or place</span>'
        '<span style="white-space:nowrap;margin-right:14px">┆ farthest west so far</span>'
        f'<span style="white-space:nowrap">○ {escape_text(origin.name)}</span></div>'
    )
    grid = (
        '<div class="afg-years" style="display:grid;grid-template-columns:repeat(auto-fill,minmax(160px,1fr));'
        f'gap:10px 14px">{"".join(cells)}</div>'
    )
    return grid + legend


def metrics_records(metrics: pd.DataFrame) -> list[dict[str, object]]:
    """:func:`spread_metrics` output as JSON-ready dicts (dates ISO, NaN as None, floats rounded).

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"event_date": pd.to_datetime(["2024-04-02"]), "group": ["NRF"],
    ...     "adm1_pcode": ["AF32"], "adm2_pcode": ["AF3201"], "latitude": [34.37], "longitude": [62.17],
    ...     "geo_precision": [2]})
    >>> rec = metrics_records(spread_metrics(frame))[0]
    >>> rec["period"], rec["new_provinces"], rec["west_km"]
    ('2024Q2', ['AF32'], 667.813)
    """
    records = []
    for row in metrics.to_dict(orient="records"):
        out: dict[str, object] = {}
        for key, value in row.items():
            if isinstance(value, pd.Timestamp):
                value = value.date().isoformat()
            elif isinstance(value, (float, np.floating)):
                value = (
                    None if not math.isfinite(value) else round(float(value), 6 if key.endswith(("lon", "lat")) else 3)
                )
            elif isinstance(value, (np.integer,)):
                value = int(value)
            elif isinstance(value, (np.bool_,)):
                value = bool(value)
            out[key] = value
        records.append(out)
    return records


# --------------------------------------------------------------------------- maps
# folium is imported inside the builders so the CLI and the metrics stay light.

#: Colour of a province or district with no activity in the selection (outline only).
INACTIVE_COLOR = "#9e9e9e"

#: At most this many trajectory points carry a permanent period label; beyond, every k-th one does.
MAX_TRAJECTORY_LABELS = 8


def period_colors(periods: list[str]) -> dict[str, str]:
    """A colour per period label, early to late along viridis (colour-blind safe, dark = early).

    Examples
    --------
    >>> period_colors(["2021Q3", "2024Q3"])
    {'2021Q3': '#440154', '2024Q3': '#fde725'}
    """
    from branca.colormap import linear

    if not periods:
        return {}
    scale = linear.viridis.scale(0, max(len(periods) - 1, 1))
    return {p: scale.rgb_hex_str(i) for i, p in enumerate(periods)}


def _all_periods(labels: pd.Series, freq: str) -> list[str]:
    """Every period label from the earliest to the latest in ``labels`` (so colours reflect time gaps)."""
    values = [pd.Period(v, freq=freq) for v in labels.dropna().unique() if v]
    if not values:
        return []
    return [str(p) for p in pd.period_range(min(values), max(values), freq=freq)]


def legend_control(title: str, entries: list[tuple[str, str]], note: str = "", *, position: str = "topright"):
    """A Leaflet control listing ``(label, colour)`` entries, as a folium element to add to a map.

    A control (not page HTML) so it shows wherever the map is rendered,
    streamlit-folium included. Labels and note are escaped.
    """
    from branca.element import MacroElement
    from jinja2 import Template

    rows = "".join(
        f'<div style="break-inside:avoid"><span style="display:inline-block;width:14px;height:10px;'
        f'margin-right:6px;background:{color};border:1px solid #555"></span>{escape_text(label)}</div>'
        for label, color in entries
    )
    columns = 1 if len(entries) <= 8 else 2 if len(entries) <= 24 else 3
    body = (
        '<details open style="background:white;padding:6px 8px;border:1px solid #999;border-radius:4px;'
        'font:12px/1.35 sans-serif;max-height:60vh;overflow:auto">'
        f'<summary style="cursor:pointer"><b>{escape_text(title)}</b></summary>'
        f'<div style="columns:{columns};column-gap:12px">{rows}</div>'
        + (f'<div style="color:#555;margin-top:4px;max-width:220px">{escape_text(note)}</div>' if note else "")
        + "</details>"
    )
    element = MacroElement()
    element._name = "Legend"
    element.legend_html = body
    element.position = position
    element._template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: {{ this.position|tojson }}});
        {{ this.get_name() }}.onAdd = function () {
            var div = L.DomUtil.create("div", "afgmap-legend");
            div.innerHTML = {{ this.legend_html|tojson }};
            L.DomEvent.disableClickPropagation(div);
            return div;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )
    return element


def _shaded_layer(
    units: pd.DataFrame, fa: pd.DataFrame, colors: dict[str, str], *, name: str, show: bool, level: str, freq: str
):
    """A GeoJson layer of the active units, filled with the colour of their first-activity period.

    The tooltip names the unit (:func:`geo.display.unit_label`), the period and the
    date of its first report with its precision, and who it was reported for.
    """
    import folium
    import geopandas as gpd

    active = units.merge(fa, on="pcode", how="inner")
    # Boundary names are not report text, but everything shown goes through escape_text.
    props = pd.DataFrame(
        {
            "pcode": active["pcode"].astype(str),
            "name": [escape_text(unit_label(c, n)) for c, n in zip(active["pcode"], active["name_en"], strict=True)],
            "first_period": active["first_period"].astype(str),
            "first_when": active["first_period"].map(lambda p: period_label(p, freq) if p else ""),
            "first_date": active["first_date"].map(lambda d: d.date().isoformat() if pd.notna(d) else ""),
            "first_report": [
                escape_text(date_label(d, p))
                for d, p in zip(active["first_date"], active["date_precision"], strict=True)
            ],
            "group": active["group"].astype(str).map(escape_text),
            "events": active["events"].astype(int),
            "fill": active["first_period"].map(colors).fillna(INACTIVE_COLOR),
        }
    )
    if level == "district":
        parents = active["adm1_pcode"] if "adm1_pcode" in active.columns else active["pcode"].str[:4]
        props["province"] = [
            escape_text(unit_label(c, n)) for c, n in zip(parents, active["adm1_name_en"].astype(str), strict=True)
        ]
    frame = gpd.GeoDataFrame(props, geometry=active.geometry.values, crs=units.crs)
    fields = ["name", *(["province"] if level == "district" else []), "first_when", "first_report", "group", "events"]
    aliases = [
        "District" if level == "district" else "Province",
        *(["Province"] if level == "district" else []),
        "First reported in",
        "First report",
        "Reported for",
        "Events in selection",
    ]
    layer = folium.FeatureGroup(name=name, show=show)
    if len(frame):
        folium.GeoJson(
            frame.__geo_interface__,
            name=name,
            style_function=lambda f: {
                "fillColor": f["properties"]["fill"],
                "fillOpacity": 0.75,
                "color": "#333333",
                "weight": 0.6,
            },
            highlight_function=lambda f: {"weight": 2.5, "color": "#000000"},
            tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases, sticky=True),
        ).add_to(layer)
    return layer


def first_activity_map(
    events: pd.DataFrame,
    *,
    provinces,
    districts,
    history: pd.DataFrame | None = None,
    freq: str = DEFAULT_FREQ,
    metrics: pd.DataFrame | None = None,
    origin: Origin = DEFAULT_ORIGIN,
    basemap: str = "osm",
):
    """A map of the districts (and provinces) active in ``events``, shaded by their first-activity period.

    Layers: districts by first activity (shown), provinces by first activity
    (in the layer control), the outline of every province, the mean centre's
    trajectory per period (a line, its points labelled with the period) and the
    origin. A legend lists the first-activity periods.

    Parameters
    ----------
    events : pandas.DataFrame
        The selected events (aggregates are left out).
    provinces, districts : geopandas.GeoDataFrame
        The simplified boundaries (``load_provinces(simplified=True)``...).
    history : pandas.DataFrame, optional
        Defines "first activity ever" (see :func:`spread_metrics`).
    freq : {"M", "Q", "Y"}
        Period of the legend and the trajectory.
    metrics : pandas.DataFrame, optional
        :func:`spread_metrics` output for the trajectory (computed when not given).
    origin : Origin
        Marked on the map.
    basemap : {"osm", "none"}
        Passed to :func:`geo.maps.new_map`.

    Returns
    -------
    folium.Map
        Finalised (:func:`geo.maps.finalize`): JS/CSS served locally.

    Examples
    --------
    >>> from geo.boundaries import load_districts, load_provinces
    >>> from geo.events import load_events
    >>> from geo.filters import Filters, apply_filters
    >>> nrf = apply_filters(load_events(), Filters(groups=("NRF",)))
    >>> m = first_activity_map(nrf, provinces=load_provinces(simplified=True),
    ...                        districts=load_districts(simplified=True), basemap="none")  # doctest: +SKIP
    """
    import folium

    from geo.maps import finalize, new_map

    freq = check_freq(freq)
    fa_d = first_activity(events, level="district", freq=freq, history=history)
    fa_p = first_activity(events, level="province", freq=freq, history=history)
    periods = _all_periods(pd.concat([fa_d["first_period"], fa_p["first_period"]]), freq)
    colors = period_colors(periods)
    if metrics is None:
        metrics = spread_metrics(events, freq=freq, origin=origin, history=history)

    m = new_map(basemap=basemap)
    outline = folium.FeatureGroup(name="Province outlines", show=True, control=False)
    folium.GeoJson(
        provinces[["pcode", "geometry"]].__geo_interface__,
        style_function=lambda f: {"fillOpacity": 0, "color": "#666666", "weight": 0.8},
        interactive=False,
    ).add_to(outline)
    outline.add_to(m)
    _shaded_layer(
        provinces, fa_p, colors, name="Provinces by first activity", show=False, level="province", freq=freq
    ).add_to(m)
    _shaded_layer(
        districts, fa_d, colors, name="Districts by first activity", show=True, level="district", freq=freq
    ).add_to(m)
    _trajectory_layer(metrics, freq=freq).add_to(m)
    origin_layer = folium.FeatureGroup(name="Origin", show=True)
    folium.CircleMarker(
        [origin.lat, origin.lon],
        radius=7,
        color="#000000",
        weight=2,
        fill=True,
        fill_color="#ffffff",
        fill_opacity=1,
        tooltip=escape_text(f"Origin of west_km: {origin.name}"),
    ).add_to(origin_layer)
    origin_layer.add_to(m)
    used = sorted((set(fa_d["first_period"]) | set(fa_p["first_period"])) - {""}, key=periods.index)
    legend_control(
        f"First reported ({FREQS[freq]})",
        [(period_label(p, freq), colors[p]) for p in used],
        "Unshaded: no activity in the selection. Red line: mean centre per period.",
    ).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    FitToFrame().add_to(m)
    return finalize(m)


def _trajectory_layer(metrics: pd.DataFrame, *, freq: str):
    """The mean centre per period as a line, each point labelled with its period."""
    import folium

    layer = folium.FeatureGroup(name="Mean centre trajectory", show=True)
    pts = metrics.loc[metrics["mean_lat"].notna() & metrics["mean_lon"].notna()].reset_index(drop=True)
    if pts.empty:
        return layer
    folium.PolyLine(pts[["mean_lat", "mean_lon"]].to_numpy().tolist(), color="#d62728", weight=3, opacity=0.85).add_to(
        layer
    )
    step = max(1, math.ceil(len(pts) / MAX_TRAJECTORY_LABELS))
    for i, row in pts.iterrows():
        label = escape_text(period_label(row["period"], freq))
        detail = escape_text(
            f"{period_label(row['period'], freq)}: mean centre of {_plural(row['exact_events'], 'event')} placed "
            f"to a district or place; standard distance {row['standard_distance_km']:.0f} km; westmost "
            f"{row['west_km']:.0f} km west of the origin"
        )
        folium.CircleMarker(
            [row["mean_lat"], row["mean_lon"]],
            radius=4,
            color="#d62728",
            fill=True,
            fill_opacity=1,
            tooltip=folium.Tooltip(detail),
        ).add_to(layer)
        if i % step == 0 or i == len(pts) - 1:
            # A small text label beside the point (a permanent tooltip box would hide the map).
            folium.Marker(
                [row["mean_lat"], row["mean_lon"]],
                icon=folium.DivIcon(
                    html=(
                        '<div style="font:bold 11px sans-serif;color:#8b0000;white-space:nowrap;'
                        f'text-shadow:0 0 3px #fff,0 0 3px #fff;transform:translate(7px,-7px)">{label}</div>'
                    ),
                    icon_size=(0, 0),
                ),
                interactive=False,
            ).add_to(layer)
    return layer


#: The animation draws at most this many points; beyond, the events of one district and month (then
#: quarter, then year) are merged into one point sized by their number.
MAX_TIMELINE_FEATURES = 3000

_DAY_MS = 86_400_000


def _ms(dates: pd.Series) -> np.ndarray:
    """Milliseconds since 1970 (UTC) of naive dates."""
    return (dates.to_numpy(dtype="datetime64[ms]").astype("int64")).astype(np.int64)


def timeline_features(
    events: pd.DataFrame, *, cumulative: bool = True, max_features: int = MAX_TIMELINE_FEATURES
) -> dict:
    """The exact events as a GeoJSON FeatureCollection for a time slider (folium ``Timeline``).

    Only exact events (a district and coordinates, precision better than
    province) are included: a province-level event has no place to be drawn.
    Each feature has ``start``/``end`` in milliseconds since 1970 (UTC):
    ``start`` is the event's day; ``end`` is the day after the last event when
    ``cumulative`` (events stay on the map once they appear), else the day
    after the event. ``popup`` is HTML with every report string escaped.

    When there are more than ``max_features`` exact events, the events of one
    district in one month (then quarter, then year, until they fit) become one
    feature at their median position, starting on the period's first day, with
    ``count`` and the groups in its popup; if even years are too many, one
    feature per district starting at its first event. The collection's
    ``merged`` member names the period used (``"M"``, ``"Q"``, ``"Y"``, ``"all"``;
    ``None`` when every event is its own feature).

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"event_date": pd.to_datetime(["2024-09-01"]), "group": ["NRF"],
    ...     "adm1_pcode": ["AF32"], "adm2_pcode": ["AF3201"], "latitude": [34.37], "longitude": [62.17],
    ...     "geo_precision": [2], "location": ["<b>Herat</b>"]})
    >>> f = timeline_features(frame)["features"][0]
    >>> f["geometry"]["coordinates"], "&lt;b&gt;Herat&lt;/b&gt;" in f["properties"]["popup"]
    ([62.17, 34.37], True)
    """
    ev = _clean(events)
    exact = ev.loc[ev["exact"] & ev["date"].notna()].sort_values("date", kind="stable")
    if exact.empty:
        return {"type": "FeatureCollection", "features": [], "merged": None}
    last_ms = int(_ms(exact["date"]).max()) + _DAY_MS
    if len(exact) <= max_features:
        src = events.loc[exact.index]

        def text(col: str) -> list[str]:
            if col not in src.columns:
                return [""] * len(src)
            return [escape_text(str(v)) for v in src[col].astype("string").fillna("").tolist()]

        precision = src["date_precision"] if "date_precision" in src.columns else pd.Series("day", index=src.index)
        days = [escape_text(date_label(d, p)) for d, p in zip(exact["date"], precision, strict=True)]
        districts = [escape_text(common_name(c, n)) for c, n in zip(exact["adm2"], text("admin2"), strict=True)]
        provinces = [escape_text(unit_label(c, n)) for c, n in zip(exact["adm1"], text("admin1"), strict=True)]
        where = [", ".join(x for x in pair if x) for pair in zip(districts, provinces, strict=True)]
        placed = [escape_text(placement_label(v)) for v in exact["precision"]]
        fatal = text("fatalities")
        claims = text("claim_status")
        popups = [
            "<br>".join(
                part
                for part in (
                    f"<b>{day}</b> · {escape_text(group)}" + (f" ({claim})" if claim else ""),
                    f"Place as reported: {loc}" if loc else "",
                    f"{place} ({how})" if place else how,
                    etype,
                    f"Reported fatalities: {fat}" if fat else "",
                )
                if part
            )
            for day, group, claim, loc, place, how, etype, fat in zip(
                days,
                exact["group"],
                claims,
                text("location"),
                where,
                placed,
                text("event_type"),
                fatal,
                strict=True,
            )
        ]
        starts = _ms(exact["date"])
        features = [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [float(x), float(y)]},
                "properties": {
                    "start": int(t),
                    "end": last_ms if cumulative else int(t) + _DAY_MS,
                    "color": GROUP_COLORS.get(g, "#999999"),
                    "count": 1,
                    "popup": pop,
                },
            }
            for x, y, t, g, pop in zip(exact["lon"], exact["lat"], starts, exact["group"], popups, strict=True)
        ]
        return {"type": "FeatureCollection", "features": features, "merged": None}
    merge_freq: str | None = None
    for merge_freq in (*FREQS, None):
        keys = [exact["adm2"], exact["date"].dt.to_period(merge_freq or "Y")]
        if merge_freq is None:
            keys = [exact["adm2"], exact["adm2"].map(lambda _: None)]
        if exact.groupby(keys, sort=False, dropna=False).ngroups <= max_features:
            break
    grouped = exact.groupby(keys, sort=False, dropna=False)
    table = grouped.agg(lon=("lon", "median"), lat=("lat", "median"), count=("date", "size"), first=("date", "min"))
    table["group"] = grouped["group"].agg(lambda s: s.value_counts().idxmax())
    table["groups"] = grouped["group"].agg(
        lambda s: ", ".join(f"{g} {n}" for g, n in s.value_counts().sort_index().items())
    )
    table = table.reset_index(names=["adm2", "period"])
    period_start = table["period"].map(lambda p: p.start_time if isinstance(p, pd.Period) else None)
    table["start"] = _ms(period_start.fillna(table["first"]))
    table["label"] = table["period"].map(
        lambda p: period_label(str(p), merge_freq) if isinstance(p, pd.Period) and merge_freq else "all dates"
    )
    # More districts than max_features: the earliest are kept (never the case with max_features >= 399).
    table = table.sort_values("start", kind="stable").head(max_features)
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [float(r.lon), float(r.lat)]},
            "properties": {
                "start": int(r.start),
                "end": last_ms if cumulative else int(r.start) + _DAY_MS,
                "color": GROUP_COLORS.get(r.group, "#999999"),
                "count": int(r.count),
                "popup": escape_text(
                    f"{r.label}: {_plural(r.count, 'event')} in {common_name(r.adm2, ocha_name(r.adm2, r.adm2))} "
                    f"district ({r.groups}), placed at district centre"
                ),
            },
        }
        for r in table.itertuples(index=False)
    ]
    return {"type": "FeatureCollection", "features": features, "merged": merge_freq or "all"}


def timeline_map(
    events: pd.DataFrame,
    *,
    provinces=None,
    cumulative: bool = True,
    basemap: str = "osm",
):
    """A map that plays the exact events in date order with a time slider (folium ``Timeline``).

    Parameters
    ----------
    events : pandas.DataFrame
        The selected events; province-level and unplaced ones cannot be drawn
        and are left out (see :func:`timeline_features`).
    provinces : geopandas.GeoDataFrame, optional
        Simplified provinces, drawn as outlines (useful with ``basemap="none"``).
    cumulative : bool, default True
        Keep events on the map once they have appeared.
    basemap : {"osm", "none"}

    Returns
    -------
    folium.Map
        Finalised (:func:`geo.maps.finalize`).
    """
    import folium
    from folium.plugins import Timeline, TimelineSlider
    from folium.utilities import JsCode

    from geo.maps import finalize, new_map

    data = timeline_features(events, cumulative=cumulative)
    merged = data.pop("merged")
    m = new_map(basemap=basemap)
    if provinces is not None:
        folium.GeoJson(
            provinces[["pcode", "geometry"]].__geo_interface__,
            name="Province outlines",
            style_function=lambda f: {"fillOpacity": 0, "color": "#666666", "weight": 0.8},
            interactive=False,
            control=False,
        ).add_to(m)
    if data["features"]:
        timeline = Timeline(
            data,
            point_to_layer=JsCode(
                "function (feature, latlng) { return L.circleMarker(latlng, {"
                "radius: Math.min(18, 5 + 2 * Math.sqrt(feature.properties.count - 1)), weight: 1, "
                "color: '#222', fillColor: feature.properties.color, fillOpacity: 0.85}); }"
            ),
            # The popup HTML was escaped in Python (timeline_features).
            on_each_feature=JsCode("function (feature, layer) { layer.bindPopup(feature.properties.popup); }"),
        )
        timeline.control = False  # the slider drives it; a layer-control entry would only confuse
        timeline.add_to(m)
        TimelineSlider(
            auto_play=False,
            date_options="YYYY-MM-DD",
            enable_keyboard_controls=True,
            show_ticks=False,
            playback_duration=20000,
        ).add_timelines(timeline).add_to(m)
        present = set(_clean(events).loc[lambda f: f["exact"], "group"])
        legend_control(
            "Group",
            [(g, GROUP_COLORS[g]) for g in GROUPS if g in present],
            "Events placed to a district or place only."
            + (
                f" Many events: those of one district and {FREQS.get(merged, 'the whole span')} are one point, sized by number."
                if merged
                else ""
            ),
        ).add_to(m)
    FitToFrame().add_to(m)
    return finalize(m)
