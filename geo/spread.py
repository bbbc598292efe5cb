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
import math

import numpy as np
import pandas as pd

from geo import settings
from geo.crs import GEOD
from geo.errors import InputError
from geo.filters import Filters
from geo.groups import GROUP_COLORS, GROUPS
from geo.maps import escape_text
from geo.schema import PRECISION_PROVINCE, aggregate_mask


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
    "mean_lon",
    "mean_lat",
    "standard_distance_km",
    "exact_events",
    "west_share",
    "excluded_province_level",
    "excluded_unplaced",
    "excluded_no_coordinates",
)

#: How a group is named in :func:`period_sentence` ("the NRF carried out ...").
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


def _clean(events: pd.DataFrame) -> pd.DataFrame:
    """Non-aggregate events with the columns the metrics read, normalised (a new frame)."""
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
        ``pcode, first_date, first_period, group, events``, sorted by first date
        then P-code. ``group``: the group(s) of the earliest event(s) there, joined
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
    ev = _clean(events)
    hist = ev if history is None else pd.concat([_clean(history), ev], ignore_index=True)
    hist = hist.loc[(hist[col] != "") & hist["date"].notna()]
    active = ev.loc[ev[col] != "", col].value_counts()
    columns = ["pcode", "first_date", "first_period", "group", "events"]
    if active.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    hist = hist.loc[hist[col].isin(active.index)]
    first = hist.groupby(col)["date"].min()
    earliest = hist.loc[hist["date"] == hist[col].map(first)]
    order = {g: i for i, g in enumerate(GROUPS)}
    who = earliest.groupby(col)["group"].agg(lambda s: ", ".join(sorted(set(s), key=lambda g: order.get(g, 99))))
    out = pd.DataFrame({"pcode": active.index.astype(str)})
    out["first_date"] = out["pcode"].map(first)
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


def period_sentence(events: pd.DataFrame, *, filters: Filters | None = None) -> str:
    """The one-sentence summary analysts quote, with the real numbers of the selection.

    "Between 2024-03-01 and 2025-03-31 the NRF carried out 21 attacks across 8 provinces".
    The dates are the filter's when given, else the first and last event's; the
    actor is the filtered group(s), else the groups present; every event counts
    (aggregate statements excepted), provinces are distinct ``adm1_pcode``.

    Examples
    --------
    >>> from geo.events import load_events
    >>> from geo.filters import Filters, apply_filters
    >>> f = Filters(groups=("NRF",), start="2024-03-01", end="2025-03-31")
    >>> period_sentence(apply_filters(load_events(), f), filters=f)
    'Between 2024-03-01 and 2025-03-31 the NRF carried out 21 attacks across 8 provinces'
    """
    ev = _clean(events)
    dates = ev["date"].dropna()
    first = filters.start if filters and filters.start else (dates.min().date() if len(dates) else None)
    last = filters.end if filters and filters.end else (dates.max().date() if len(dates) else None)
    if filters and filters.groups:
        groups = [g for g in GROUPS if g in filters.groups]
    else:
        present = set(ev["group"]) - {""}
        groups = [g for g in GROUPS if g in present] + sorted(present - set(GROUPS))
    actor = _actor_phrase(groups, selected=bool(filters and filters.groups))
    when = f"Between {first} and {last}" if first and last else "In the selected period"
    n = len(ev)
    if n == 0:
        return f"{when} no attacks by {actor} are recorded in the data"
    provinces = int(ev.loc[ev["adm1"] != "", "adm1"].nunique())
    where = f"in {_plural(provinces, 'province')}" if provinces == 1 else f"across {_plural(provinces, 'province')}"
    if provinces == 0:
        where = "none of them placed to a province"
        return f"{when} {actor} carried out {_plural(n, 'attack')}, {where}"
    return f"{when} {actor} carried out {_plural(n, 'attack')} {where}"


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


def _shaded_layer(units: pd.DataFrame, fa: pd.DataFrame, colors: dict[str, str], *, name: str, show: bool, level: str):
    """A GeoJson layer of the active units, filled with the colour of their first-activity period."""
    import folium

    active = units.merge(fa, on="pcode", how="inner")
    props = pd.DataFrame(
        {
            "pcode": active["pcode"].astype(str),
            # Boundary names are not report text, but everything shown goes through escape_text.
            "name": active["name_en"].astype(str).map(escape_text),
            "first_period": active["first_period"].astype(str),
            "first_date": active["first_date"].map(lambda d: d.date().isoformat() if pd.notna(d) else ""),
            "group": active["group"].astype(str).map(escape_text),
            "events": active["events"].astype(int),
            "fill": active["first_period"].map(colors).fillna(INACTIVE_COLOR),
        }
    )
    if level == "district":
        props["province"] = active["adm1_name_en"].astype(str).map(escape_text)
    import geopandas as gpd

    frame = gpd.GeoDataFrame(props, geometry=active.geometry.values, crs=units.crs)
    fields = (
        ["name", "pcode"]
        + (["province"] if level == "district" else [])
        + [
            "first_period",
            "first_date",
            "group",
            "events",
        ]
    )
    aliases = (
        ["Name", "P-code"]
        + (["Province"] if level == "district" else [])
        + [
            "First active",
            "First event",
            "First by",
            "Events in selection",
        ]
    )
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
    _shaded_layer(provinces, fa_p, colors, name="Provinces by first activity", show=False, level="province").add_to(m)
    _shaded_layer(districts, fa_d, colors, name="Districts by first activity", show=True, level="district").add_to(m)
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
        f"First activity ({FREQS[freq]})",
        [(p, colors[p]) for p in used],
        "Unshaded: no activity in the selection. Red line: mean centre per period.",
    ).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
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
        label = escape_text(str(row["period"]))
        detail = escape_text(
            f"{row['period']}: mean centre of {row['exact_events']} exact "
            f"event{'s' if row['exact_events'] != 1 else ''}; standard distance "
            f"{row['standard_distance_km']:.0f} km; westmost {row['west_km']:.0f} km west of the origin"
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

        days = exact["date"].dt.strftime("%Y-%m-%d").tolist()
        where = [" / ".join(x for x in pair if x) for pair in zip(text("admin2"), text("admin1"), strict=True)]
        fatal = text("fatalities")
        popups = [
            "<br>".join(
                part
                for part in (
                    f"<b>{day}</b> · {escape_text(group)}",
                    loc,
                    place,
                    etype,
                    f"Reported fatalities: {fat}" if fat else "",
                )
                if part
            )
            for day, group, loc, place, etype, fat in zip(
                days, exact["group"], text("location"), where, text("event_type"), fatal, strict=True
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
    table["label"] = table["period"].map(lambda p: str(p) if isinstance(p, pd.Period) else "all dates")
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
                "popup": escape_text(f"{r.label}: {r.count:,} events in district {r.adm2} ({r.groups})"),
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
            "Events with district coordinates only."
            + (
                f" Many events: those of one district and {FREQS.get(merged, 'the whole span')} are one point, sized by number."
                if merged
                else ""
            ),
        ).add_to(m)
    return finalize(m)
