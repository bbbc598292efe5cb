"""Row validation for ingested events: dates, coordinates, fatalities, identifiers, duplicates, file size.

Every check is vectorised over a column (a million rows in seconds) and returns,
per row, either a parsed value or a *reason*: a short sentence naming the field,
what was expected and what arrived, e.g. ``"fatalities: expected a non-negative
integer, got '-3'"``. ``""`` means "no problem". Two kinds of reasons:

- **reject** reasons make a row unusable (no date, a future date, negative
  fatalities, a duplicate ``event_id``...): :mod:`geo.ingest` moves the row to the
  rejects table with the reason;
- **review** notes keep the row but mark it ``needs_review`` (swapped latitude and
  longitude, fixed; coordinates outside Afghanistan or in another province than
  the stated one; a likely duplicate).

Inputs are never modified.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
import pandas as pd

from geo.display import common_name
from geo.errors import InputError

#: Afghanistan's bounding box (lon_min, lat_min, lon_max, lat_max), padded by ~0.1 degree.
#: Used only to recognise swapped latitude/longitude; the country test uses the boundaries.
AFGHANISTAN_BBOX: tuple[float, float, float, float] = (60.4, 29.3, 75.0, 38.6)

#: Dates before this are treated as typing errors.
EARLIEST_DATE = pd.Timestamp("1970-01-01")

#: Date formats tried after ISO ``YYYY-MM-DD`` (ACLED writes ``10 December 2025``).
DATE_FORMATS: tuple[str, ...] = ("%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y", "%d-%b-%Y", "%Y/%m/%d", "%d.%m.%Y")

#: Largest fatality count accepted for one event (or one group statement). Nothing in the record of
#: Afghanistan's wars comes near it; a larger number is a typing or unit error (and would overflow).
MAX_FATALITIES = 100_000

#: Longest place text (``location``, ``admin1``, ``admin2``) sent to the geocoder. The longest in the
#: compiled reports is 158 characters; the geocoder's time grows with the square of a text's length
#: (a 98,000-character text takes over half a minute), so longer texts are rejected, not geocoded.
MAX_PLACE_CHARS = 500

#: ISO dates, optionally with a time of day (``2024-01-01T10:30``, ``2024-01-01 10:30:05.5Z``).
_ISO_DATE = r"^(\d{4}-\d{1,2}-\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?Z?)?$"

#: Days apart within which two events of one group in one district are likely the same event.
LIKELY_DUPLICATE_DAYS = 1


def join_reasons(*columns: Iterable[str]) -> np.ndarray:
    """Join per-row reason columns with ``"; "``, skipping empty ones.

    Examples
    --------
    >>> join_reasons(["a", "", ""], ["", "", "c"], ["b", "", "d"]).tolist()
    ['a; b', '', 'c; d']
    """
    arrays = [np.asarray(list(c) if not isinstance(c, (np.ndarray, pd.Series)) else c, dtype=object) for c in columns]
    if not arrays:
        return np.array([], dtype=object)
    out = np.full(len(arrays[0]), "", dtype=object)
    for a in arrays:
        has = np.flatnonzero(~pd.isna(a) & (a != ""))  # usually few rows: work on those only
        if not has.size:
            continue
        add = a[has]
        prev = out[has]
        out[has] = np.where(prev != "", prev + "; " + add, add)
    return out


def check_size(nbytes: int, *, max_bytes: int, name: str = "input") -> None:
    """Refuse an input larger than ``max_bytes``.

    Raises
    ------
    InputError
        Naming the size, the limit and how to raise it.

    Examples
    --------
    >>> check_size(10, max_bytes=100)
    >>> check_size(200, max_bytes=100, name="big.csv")
    Traceback (most recent call last):
    ...
    geo.errors.InputError: big.csv is 200 bytes, over the limit of 100 bytes (9.54e-05 MB); raise it with --max-mb
    """
    if nbytes > max_bytes:
        raise InputError(
            f"{name} is {nbytes:,} bytes, over the limit of {max_bytes:,} bytes ({max_bytes / 1024 / 1024:.3g} MB); "
            "raise it with --max-mb"
        )


def _blank(values: pd.Series) -> pd.Series:
    return values.isna() | (values.astype("string").str.strip().fillna("") == "")


def _shown(value: object, limit: int = 60) -> str:
    text = str(value)
    return repr(text if len(text) <= limit else text[:limit] + "...")


def _bad(mask: pd.Series, values: pd.Series, template: str, *, quote: bool = True) -> np.ndarray:
    """``template`` (with ``{got}``: the value, quoted) where ``mask``, else ``""``."""
    out = np.full(len(values), "", dtype=object)
    idx = np.flatnonzero(np.asarray(mask, dtype=bool))
    if idx.size:
        raw = values.to_numpy(dtype=object)
        out[idx] = [template.format(got=_shown(raw[i]) if quote else raw[i]) for i in idx]
    return out


def parse_dates(
    values: pd.Series, *, today: dt.date | None = None, field: str = "event_date"
) -> tuple[pd.Series, np.ndarray]:
    """Parse event dates; reject empty, unreadable, implausibly old and future ones.

    ISO ``YYYY-MM-DD`` (optionally followed by a time) is read first, vectorised;
    the rest is tried against :data:`DATE_FORMATS`.

    Parameters
    ----------
    values : pandas.Series
        Dates as strings.
    today : datetime.date, optional
        The last acceptable day (default: today, UTC).
    field : str
        The field name used in the reasons.

    Returns
    -------
    (pandas.Series, numpy.ndarray)
        ``datetime64`` dates (NaT where rejected) and the reject reasons.

    Examples
    --------
    >>> d, why = parse_dates(pd.Series(["2024-03-20", "10 December 2025", "soon", "2031-01-01", ""]),
    ...                      today=dt.date(2026, 1, 1))
    >>> d.dt.strftime("%Y-%m-%d").tolist()[:2], why.tolist()[2:]
    (['2024-03-20', '2025-12-10'], ["event_date: expected a date (YYYY-MM-DD or '10 December 2025'), got 'soon'", 'event_date: 2031-01-01 is in the future (today is 2026-01-01)', 'event_date: missing'])
    """
    today = today or dt.datetime.now(dt.UTC).date()
    text = values.astype("string").str.strip().fillna("")
    iso = text.str.match(_ISO_DATE).fillna(False)
    parsed = pd.to_datetime(text.where(iso).str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    # A time of day must be one: 00:00..23:59:59 (``2024-01-01T25:00`` is not a date).
    timed = iso & (text.str.len() > 10)
    bad_time = pd.Series(False, index=text.index)
    if timed.any():
        parts = text[timed].str.extract(_ISO_DATE)
        clock = parts.iloc[:, 1:].apply(pd.to_numeric, errors="coerce")
        wrong = (clock[1] > 23) | (clock[2] > 59) | (clock[3].fillna(0) > 59)
        bad_time.loc[wrong.index] = wrong.to_numpy(dtype=bool)
        parsed.loc[parts.index] = pd.to_datetime(parts[0], format="%Y-%m-%d", errors="coerce")
        parsed = parsed.where(~bad_time)
    todo = parsed.isna() & (text != "") & ~bad_time
    for fmt in DATE_FORMATS:
        if not todo.any():
            break
        attempt = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        parsed.loc[attempt.index] = parsed.loc[attempt.index].fillna(attempt)
        todo = parsed.isna() & (text != "") & ~bad_time
    parsed = parsed.dt.normalize()
    empty = text == ""
    unreadable = ~empty & parsed.isna() & ~bad_time
    old = parsed.notna() & (parsed < EARLIEST_DATE)
    future = parsed.notna() & (parsed > pd.Timestamp(today))
    reasons = join_reasons(
        np.where(empty, f"{field}: missing", ""),
        _bad(unreadable, text, f"{field}: expected a date (YYYY-MM-DD or '10 December 2025'), got {{got}}"),
        _bad(bad_time, text, f"{field}: expected a date with a valid time (00:00 to 23:59:59), got {{got}}"),
        _bad(old, text, f"{field}: {{got}} is before {EARLIEST_DATE.date()}, not a plausible event date"),
        _bad(
            future, parsed.dt.strftime("%Y-%m-%d"), f"{field}: {{got}} is in the future (today is {today})", quote=False
        ),
    )
    parsed = parsed.where(reasons == "")
    return parsed, reasons


def parse_fatalities(values: pd.Series, *, field: str = "fatalities") -> tuple[pd.Series, np.ndarray]:
    """Parse fatality counts: empty is "not reported" (NA); otherwise an integer from 0 to :data:`MAX_FATALITIES`.

    ``"7"`` and ``"7.0"`` are 7; ``"-3"``, ``"2.5"``, ``"many"`` and ``"1e308"`` are rejected.

    Examples
    --------
    >>> n, why = parse_fatalities(pd.Series(["7", "7.0", "", "-3", "many", "1e308"]))
    >>> n.tolist()[:3], why.tolist()[3:]
    ([7, 7, <NA>], ["fatalities: expected a non-negative integer, got '-3'", "fatalities: expected a non-negative integer, got 'many'", "fatalities: expected at most 100,000, got '1e308'"])
    """
    text = values.astype("string").str.strip().fillna("")
    num = pd.to_numeric(text.where(text != ""), errors="coerce").astype("float64")
    given = (text != "").to_numpy(dtype=bool)
    with np.errstate(invalid="ignore"):
        bad = given & (num.isna() | (num < 0) | (num != np.floor(num)) | ~np.isfinite(num.fillna(0))).to_numpy(bool)
        too_many = given & ~bad & (num > MAX_FATALITIES).to_numpy(dtype=bool)
    reasons = join_reasons(
        _bad(bad, text, f"{field}: expected a non-negative integer, got {{got}}"),
        _bad(too_many, text, f"{field}: expected at most {MAX_FATALITIES:,}, got {{got}}"),
    )
    out = num.where(~(bad | too_many)).round().astype("Int64")
    return out, reasons


def _in_bbox(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    x0, y0, x1, y1 = AFGHANISTAN_BBOX
    return (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)


def parse_coordinates(lat: pd.Series, lon: pd.Series) -> tuple[pd.Series, pd.Series, np.ndarray, np.ndarray]:
    """Parse latitude/longitude; detect and fix swapped pairs.

    Returns
    -------
    (latitude, longitude, problems, notes)
        Floats (NaN when missing or unusable); ``problems``: why a given pair
        cannot be used (not a number, out of range, only one of the two given);
        ``notes``: review notes (swapped and fixed).

    Examples
    --------
    >>> la, lo, bad, note = parse_coordinates(pd.Series(["34.5", "69.2", "x", ""]), pd.Series(["69.2", "34.5", "69", ""]))
    >>> la.tolist()[:2], lo.tolist()[:2]
    ([34.5, 34.5], [69.2, 69.2])
    >>> note[1], bad[2]
    ('latitude/longitude: swapped (got latitude 69.2, longitude 34.5), fixed', "latitude: expected a number in decimal degrees, got 'x'")
    """
    lat_t = lat.astype("string").str.strip().fillna("")
    lon_t = lon.astype("string").str.strip().fillna("")
    la = pd.to_numeric(lat_t.where(lat_t != ""), errors="coerce").astype("float64")
    lo = pd.to_numeric(lon_t.where(lon_t != ""), errors="coerce").astype("float64")
    lat_nan = (lat_t != "") & la.isna()
    lon_nan = (lon_t != "") & lo.isna()
    lat_range = la.notna() & ((la.abs() > 90) | ~np.isfinite(la))
    lon_range = lo.notna() & ((lo.abs() > 180) | ~np.isfinite(lo))
    one_only = (lat_t == "") != (lon_t == "")
    problems = join_reasons(
        _bad(lat_nan, lat_t, "latitude: expected a number in decimal degrees, got {got}"),
        _bad(lon_nan, lon_t, "longitude: expected a number in decimal degrees, got {got}"),
        _bad(lat_range, lat_t, "latitude: expected -90..90, got {got}"),
        _bad(lon_range, lon_t, "longitude: expected -180..180, got {got}"),
        np.where(one_only & (lat_t == ""), "latitude: missing while longitude is given", ""),
        np.where(one_only & (lon_t == ""), "longitude: missing while latitude is given", ""),
    )
    usable = problems == ""
    la = la.where(usable)
    lo = lo.where(usable)
    lon_a, lat_a = lo.to_numpy(), la.to_numpy()
    with np.errstate(invalid="ignore"):
        swapped = ~_in_bbox(lon_a, lat_a) & _in_bbox(lat_a, lon_a)
    notes = np.full(len(la), "", dtype=object)
    if swapped.any():
        idx = np.flatnonzero(swapped)
        notes[idx] = [
            f"latitude/longitude: swapped (got latitude {lat_a[i]:g}, longitude {lon_a[i]:g}), fixed" for i in idx
        ]
        la = pd.Series(np.where(swapped, lon_a, lat_a), index=lat.index)
        lo = pd.Series(np.where(swapped, lat_a, lon_a), index=lon.index)
    return la, lo, problems, notes


def check_event_ids(ids: pd.Series, rows: pd.Series, *, known: Iterable[str] = ()) -> np.ndarray:
    """Reject repeated ``event_id`` values after their first row, and ids already in ``known``.

    Parameters
    ----------
    ids : pandas.Series
        Event ids (``""`` = none; never a duplicate).
    rows : pandas.Series
        The 1-based source row of each id, for the message.
    known : iterable of str
        Ids that already exist (e.g. the loaded events).

    Examples
    --------
    >>> check_event_ids(pd.Series(["A", "B", "A", ""]), pd.Series([1, 2, 3, 4]), known=["B"]).tolist()
    ['', "event_id: 'B' is already in the loaded events", "event_id: 'A' repeats row 1", '']
    """
    text = ids.astype("string").fillna("").str.strip()
    has = text != ""
    dup = (has & text.duplicated(keep="first")).to_numpy(dtype=bool)
    reasons = np.full(len(text), "", dtype=object)
    values = text.to_numpy(dtype=object)
    row_of = rows.to_numpy()
    if dup.any():
        repeated = set(values[dup])
        first = {}
        for i in np.flatnonzero(text.isin(repeated).to_numpy(dtype=bool) & ~dup):
            first[values[i]] = row_of[i]
        for i in np.flatnonzero(dup):
            reasons[i] = f"event_id: {values[i]!r} repeats row {int(first[values[i]])}"
    known = set(known)
    if known:
        clash = has.to_numpy(dtype=bool) & text.isin(known).to_numpy(dtype=bool) & ~dup
        for i in np.flatnonzero(clash):
            reasons[i] = f"event_id: {values[i]!r} is already in the loaded events"
    return reasons


def check_vocabulary(values: pd.Series, allowed: Iterable[str], *, field: str) -> np.ndarray:
    """Reject values outside ``allowed`` (empty is allowed).

    Examples
    --------
    >>> check_vocabulary(pd.Series(["day", "", "fortnight"]), ["day", "week"], field="date_precision").tolist()
    ['', '', "date_precision: expected one of ['day', 'week'], got 'fortnight'"]
    """
    allowed = list(allowed)
    text = values.astype("string").fillna("").str.strip()
    bad = (text != "") & ~text.isin(allowed)
    return _bad(bad, text, f"{field}: expected one of {allowed}, got {{got}}")


def point_provinces(lat: pd.Series, lon: pd.Series) -> pd.DataFrame:
    """Province and district of each point (:func:`geo.join.assign_points`), computed once per distinct point.

    Returns a frame aligned with ``lat`` with ``adm1_pcode``, ``adm2_pcode`` (``""``
    outside the country or without coordinates) and ``assign_note``.
    """
    from geo.join import assign_points

    pts = pd.DataFrame({"lon": lon.to_numpy(dtype="float64"), "lat": lat.to_numpy(dtype="float64")})
    has = pts["lon"].notna() & pts["lat"].notna()
    out = pd.DataFrame({"adm1_pcode": "", "adm2_pcode": "", "assign_note": ""}, index=range(len(pts)))
    if has.any():
        uniq = pts[has].drop_duplicates().reset_index(drop=True)
        got = assign_points(uniq["lon"].to_numpy(), uniq["lat"].to_numpy())
        got.index = pd.MultiIndex.from_frame(uniq)
        keys = pd.MultiIndex.from_frame(pts[has])
        found = got.reindex(keys)
        out.loc[has.to_numpy(), ["adm1_pcode", "adm2_pcode", "assign_note"]] = found.to_numpy()
    out.index = lat.index
    return out


def check_coordinates_place(
    lat: pd.Series, lon: pd.Series, stated_adm1: pd.Series, *, names: dict[str, str] | None = None
) -> tuple[pd.Series, np.ndarray]:
    """Review notes for coordinates outside Afghanistan or in another province than the stated one.

    Parameters
    ----------
    lat, lon : pandas.Series
        Parsed coordinates (NaN = none).
    stated_adm1 : pandas.Series
        The province P-code the row states (``""`` when it states none).
    names : dict, optional
        P-code to name, for readable notes.

    Returns
    -------
    (pandas.Series, numpy.ndarray)
        The province P-code of each point (``""`` when none) and the notes.

    Examples
    --------
    >>> p, note = check_coordinates_place(pd.Series([35.31, 35.69]), pd.Series([69.51, 51.39]), pd.Series(["AF01", ""]))
    >>> p.tolist(), note[0].split(":")[0], note[1].split(":")[0]
    (['AF08', ''], 'latitude/longitude', 'latitude/longitude')
    """
    names = names or {}
    found = point_provinces(lat, lon)
    point_adm1 = found["adm1_pcode"].astype(str)
    has = lat.notna().to_numpy() & lon.notna().to_numpy()
    stated = stated_adm1.astype("string").fillna("").to_numpy(dtype=object)
    outside = has & (point_adm1.to_numpy() == "")
    other = has & ~outside & (stated != "") & (point_adm1.to_numpy() != stated)
    notes = np.full(len(lat), "", dtype=object)
    la, lo = lat.to_numpy(), lon.to_numpy()
    for i in np.flatnonzero(outside):
        notes[i] = f"latitude/longitude: ({la[i]:g}, {lo[i]:g}) is outside Afghanistan"
    pa = point_adm1.to_numpy()
    for i in np.flatnonzero(other):
        notes[i] = (
            f"latitude/longitude: ({la[i]:g}, {lo[i]:g}) lies in {names.get(pa[i], pa[i])} ({pa[i]}), "
            f"not in the stated province {names.get(stated[i], stated[i])} ({stated[i]})"
        )
    return pd.Series(pa, index=lat.index), notes


def likely_duplicate_pairs(
    events: pd.DataFrame,
    *,
    days: int = LIKELY_DUPLICATE_DAYS,
    exclude: pd.Series | np.ndarray | None = None,
    tiebreak: pd.Series | np.ndarray | None = None,
    dismissed: Iterable[tuple[str, str]] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The likely-duplicate rule, once for the ingest review and the Data page: which rows pair up.

    Rows are ordered by group, district, date, then ``tiebreak`` (default: their position); each row is
    paired with the next one in that order when both have the same group and district and their dates are
    at most ``days`` apart. Rows without a district or a date are not compared.

    Parameters
    ----------
    events : pandas.DataFrame
        With ``event_id``, ``group``, ``adm2_pcode`` and ``event_date``.
    days : int
        Largest gap, in days, between two likely duplicates.
    exclude : array of bool, optional
        Rows to leave out (e.g. group statements).
    tiebreak : array, optional
        Orders rows of the same group, district and date (e.g. the ``event_id``).
    dismissed : iterable of (event_id, event_id), optional
        Pairs an editor judged to be two different events: never returned; a row is paired with the
        next one in its window that is not dismissed instead.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Positions of the first and second row of each pair (the first's date is not later).

    Examples
    --------
    >>> ev = pd.DataFrame({"event_id": ["a", "b", "c"], "group": ["NRF"] * 3, "adm2_pcode": ["AF0101"] * 3,
    ...                    "event_date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-02"])})
    >>> [p.tolist() for p in likely_duplicate_pairs(ev)]
    [[0, 1], [1, 2]]
    >>> [p.tolist() for p in likely_duplicate_pairs(ev, dismissed=[("b", "a")])]
    [[0, 1], [2, 2]]
    """
    none = np.array([], dtype=np.intp)
    adm2 = events["adm2_pcode"].astype("string").fillna("").to_numpy(dtype=object)
    dates = pd.to_datetime(events["event_date"]).to_numpy()
    ok = (adm2 != "") & ~pd.isna(dates)
    if exclude is not None:
        ok &= ~np.asarray(exclude, dtype=bool)
    idx = np.flatnonzero(ok)
    if idx.size < 2:
        return none, none
    groups = events["group"].astype("string").fillna("").to_numpy(dtype=object)
    tie = idx if tiebreak is None else np.asarray(tiebreak, dtype=object)[idx]
    sub = pd.DataFrame({"pos": idx, "group": groups[idx], "adm2": adm2[idx], "date": dates[idx], "tie": tie})
    sub = sub.sort_values(["group", "adm2", "date", "tie"], kind="stable")
    g, d, t, pos = (sub[c].to_numpy() for c in ("group", "adm2", "date", "pos"))
    skip = {tuple(sorted(map(str, p))) for p in dismissed or ()}
    ids = events["event_id"].astype("string").fillna("").to_numpy(dtype=object)[pos] if skip else None
    limit = np.timedelta64(days, "D")
    partner = np.full(len(pos), -1)
    looking = np.arange(len(pos))
    step = 1
    # Rows are sorted, so once the row ``step`` places on is outside a row's window, every later one is too.
    while looking.size:
        j = looking + step
        looking, j = looking[j < len(pos)], j[j < len(pos)]
        near = (g[j] == g[looking]) & (d[j] == d[looking]) & ((t[j] - t[looking]) <= limit)
        looking, j = looking[near], j[near]
        free = np.ones(len(j), dtype=bool)
        if skip:
            free = np.array([tuple(sorted((a, b))) not in skip for a, b in zip(ids[looking], ids[j], strict=True)],
                            dtype=bool)  # fmt: skip
        partner[looking[free]] = j[free]
        looking = looking[~free]
        step += 1
    k = np.flatnonzero(partner >= 0)
    return pos[k], pos[partner[k]]


def likely_duplicates(
    events: pd.DataFrame, *, days: int = LIKELY_DUPLICATE_DAYS, exclude: pd.Series | None = None
) -> np.ndarray:
    """Review notes for likely duplicates (:func:`likely_duplicate_pairs`): same group, same district, dates within ``days``.

    Both events of a pair are noted, each naming the other's ``event_id``.
    Rows without a district or a date are not compared.

    Parameters
    ----------
    events : pandas.DataFrame
        With ``event_id``, ``group``, ``adm2_pcode`` and ``event_date`` (datetime64).
    days : int
        Largest gap, in days, between two likely duplicates.
    exclude : pandas.Series of bool, optional
        Rows to leave out (e.g. aggregate statements).

    Examples
    --------
    >>> ev = pd.DataFrame({"event_id": ["a", "b", "c"], "group": ["NRF"] * 3, "adm2_pcode": ["AF0101"] * 3,
    ...                    "event_date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-09"])})
    >>> likely_duplicates(ev).tolist()
    ["likely duplicate of 'b' (same group NRF, district AF0101, dates within 1 day)", "likely duplicate of 'a' (same group NRF, district AF0101, dates within 1 day)", '']
    >>> likely_duplicates(ev.assign(adm2_pcode="AF3201", admin2="Hirat")).tolist()[0]
    "likely duplicate of 'b' (same group NRF, district Herat (AF3201), dates within 1 day)"
    """
    out = np.full(len(events), "", dtype=object)
    a, b = likely_duplicate_pairs(events, days=days, exclude=exclude)
    if a.size == 0:
        return out
    adm2 = events["adm2_pcode"].astype("string").fillna("").to_numpy(dtype=object)
    groups = events["group"].astype("string").fillna("").to_numpy(dtype=object)
    ids = events["event_id"].astype("string").fillna("").to_numpy(dtype=object)
    unit = "day" if days == 1 else "days"
    district = adm2[a]
    if "admin2" in events.columns:  # "district Bazarak (AF0801)": the name readers know, and the code
        names = events["admin2"].astype("string").fillna("").to_numpy(dtype=object)[a]
        district = np.array(
            [f"{common_name(c, n)} ({c})" if n else c for c, n in zip(adm2[a], names, strict=True)], dtype=object
        )
    why = " (same group " + groups[a] + ", district " + district + f", dates within {days} {unit})"
    quote = np.frompyfunc(repr, 1, 1)
    # In the sorted order each row has one predecessor and one successor, so it is at most
    # once a ``b`` (noted against the event before it) and at most once an ``a`` (against the one after).
    out[b] = "likely duplicate of " + quote(ids[a]) + why
    after = "likely duplicate of " + quote(ids[b]) + why
    out[a] = np.where(out[a] != "", out[a] + "; " + after, after)
    return out
