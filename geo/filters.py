"""Selecting events (group, dates, type, province, claim status, precision) and summarising a selection.

The app's headline and ``python -m geo summary`` both call :func:`summarize`
on the output of :func:`apply_filters`, so their numbers are the same by
construction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd

from geo.errors import FilterError
from geo.groups import GROUPS
from geo.schema import CLAIM_STATUSES, PRECISION_DISTRICT, aggregate_mask


@dataclasses.dataclass(frozen=True)
class Filters:
    """A selection of events. ``None`` (or an empty tuple) means "no restriction".

    Attributes
    ----------
    groups : tuple of str, optional
        Canonical group codes (:data:`geo.groups.GROUPS`).
    start, end : datetime.date, optional
        Inclusive date range on ``event_date``.
    event_types : tuple of str, optional
        ACLED ``event_type`` labels.
    provinces : tuple of str, optional
        Province P-codes (``AF08``...), or any spelling the gazetteer knows ("Herat",
        "Panjshir", "Helmand", "هرات"): turned into P-codes here.
    claim_statuses : tuple of str, optional
        Values of ``claim_status``.
    exact_only : bool
        Keep only events placed to a named place or a district (``geo_precision`` 1 or 2).

    Examples
    --------
    >>> Filters(groups=("NRF",), start=dt.date(2024, 3, 1), end=dt.date(2025, 3, 31)).describe()
    'group NRF; 2024-03-01 to 2025-03-31'
    """

    groups: tuple[str, ...] | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    event_types: tuple[str, ...] | None = None
    provinces: tuple[str, ...] | None = None
    claim_statuses: tuple[str, ...] | None = None
    exact_only: bool = False

    def __post_init__(self) -> None:
        for name in ("groups", "event_types", "provinces", "claim_statuses"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(value))
        for name in ("start", "end"):
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, parse_date(value, field=name))
            elif isinstance(value, dt.datetime):
                object.__setattr__(self, name, value.date())
        if self.provinces:
            object.__setattr__(self, "provinces", province_codes(self.provinces))
        if self.groups:
            unknown = [g for g in self.groups if g not in GROUPS]
            if unknown:
                raise FilterError(f"group: expected one of {list(GROUPS)}, got {unknown}")
        if self.claim_statuses:
            unknown = [c for c in self.claim_statuses if c not in CLAIM_STATUSES]
            if unknown:
                raise FilterError(f"claim_status: expected one of {list(CLAIM_STATUSES)}, got {unknown}")
        if self.start and self.end and self.start > self.end:
            raise FilterError(f"start {self.start} is after end {self.end}")

    def as_dict(self) -> dict[str, object]:
        """The non-empty filters as JSON-ready values (dates as ISO strings, tuples as lists)."""
        out: dict[str, object] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value in (None, (), False):
                continue
            out[f.name] = (
                value.isoformat() if isinstance(value, dt.date) else list(value) if isinstance(value, tuple) else value
            )
        return out

    def describe(self, *, names: Mapping[str, str] | None = None) -> str:
        """A short human description, e.g. ``"group NRF; 2024-03-01 to 2025-03-31"``.

        ``names`` maps province P-codes to the names to show (``{"AF32": "Herat (Hirat)"}``);
        codes without a name are shown as they are.

        Examples
        --------
        >>> Filters(provinces=("AF32", "AF08")).describe(names={"AF32": "Herat (Hirat)"})
        'provinces Herat (Hirat), AF08'
        """
        names = names or {}
        parts = []
        if self.groups:
            parts.append(("groups " if len(self.groups) > 1 else "group ") + ", ".join(self.groups))
        if self.start or self.end:
            parts.append(f"{self.start or 'start'} to {self.end or 'end'}")
        if self.event_types:
            parts.append("type " + ", ".join(self.event_types))
        if self.provinces:
            label = "provinces " if len(self.provinces) > 1 else "province "
            parts.append(label + ", ".join(names.get(p, p) for p in self.provinces))
        if self.claim_statuses:
            parts.append("claim " + ", ".join(self.claim_statuses))
        if self.exact_only:
            parts.append("exact places only")
        return "; ".join(parts) or "all events"


def province_codes(values) -> tuple[str, ...]:
    """P-codes for province P-codes or names in any spelling the gazetteer knows, in order, without repeats.

    Raises :class:`FilterError` naming the values that are no province.

    Examples
    --------
    >>> province_codes(["Herat", "AF08", "Helmand", "kunduz", "Panjshir"])
    ('AF32', 'AF08', 'AF30', 'AF19')
    """
    import re

    out: list[str] = []
    unknown = []
    gaz = None
    for value in values:
        text = str(value).strip()
        code = text.upper() if re.fullmatch(r"AF\d{2}", text, flags=re.IGNORECASE) else None
        if code is None:
            if gaz is None:
                from geo.gazetteer import load_gazetteer

                gaz = load_gazetteer()
            code = gaz.province_code(text)
        if code is None:
            unknown.append(text)
        elif code not in out:
            out.append(code)
    if unknown:
        raise FilterError(
            f"province: expected a province P-code (AF32) or name (Herat, Hirat, Panjshir...), got {unknown}"
        )
    return tuple(out)


def parse_date(value: str, *, field: str = "date") -> dt.date:
    """Parse ``YYYY-MM-DD``; raise :class:`FilterError` naming the field otherwise.

    Examples
    --------
    >>> parse_date("2024-03-01")
    datetime.date(2024, 3, 1)
    """
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise FilterError(f"{field}: expected a date YYYY-MM-DD, got {value!r}") from None


def filter_mask(events: pd.DataFrame, filters: Filters, *, include_aggregates: bool = False) -> np.ndarray:
    """The rows that pass ``filters``, as a boolean array (what :func:`apply_filters` takes).

    Examples
    --------
    >>> from geo.events import load_events
    >>> events = load_events()
    >>> int(filter_mask(events, Filters(groups=("NRF",))).sum()) == len(apply_filters(events, Filters(groups=("NRF",))))
    True
    """
    mask = np.ones(len(events), dtype=bool)
    if not include_aggregates:
        mask &= ~aggregate_mask(events)
    if filters.groups:
        mask &= events["group"].isin(filters.groups).to_numpy(dtype=bool, na_value=False)
    dates = events["event_date"]
    if filters.start:
        mask &= (dates >= pd.Timestamp(filters.start)).to_numpy(dtype=bool, na_value=False)
    if filters.end:
        mask &= (dates <= pd.Timestamp(filters.end)).to_numpy(dtype=bool, na_value=False)
    if filters.event_types:
        mask &= events["event_type"].isin(filters.event_types).to_numpy(dtype=bool, na_value=False)
    if filters.provinces:
        mask &= events["adm1_pcode"].isin(filters.provinces).to_numpy(dtype=bool, na_value=False)
    if filters.claim_statuses:
        mask &= events["claim_status"].isin(filters.claim_statuses).to_numpy(dtype=bool, na_value=False)
    if filters.exact_only:
        mask &= events["geo_precision"].fillna(99).le(PRECISION_DISTRICT).to_numpy(dtype=bool, na_value=False)
    return mask


def apply_filters(events: pd.DataFrame, filters: Filters, *, include_aggregates: bool = False) -> pd.DataFrame:
    """Return the events that pass ``filters`` (a new frame; the input is not modified).

    Group statements that bundle many attacks (``is_aggregate``) are left out
    unless ``include_aggregates`` is true: they are not single events.

    Parameters
    ----------
    events : pandas.DataFrame
        Events in the schema (:func:`geo.events.load_events`).
    filters : Filters
        The selection.
    include_aggregates : bool, default False
        Keep aggregate statements (for tables that list them apart).

    Examples
    --------
    >>> from geo.events import load_events
    >>> nrf = apply_filters(load_events(), Filters(groups=("NRF",)))
    >>> set(nrf["group"]) == {"NRF"}
    True
    """
    keep = filter_mask(events, filters, include_aggregates=include_aggregates)
    if keep.all():
        # Copy-on-write (pandas 3): a shallow copy is a new frame that never changes the input, at no cost.
        return events.copy(deep=False)
    return events.loc[keep]


def summarize(events: pd.DataFrame, *, filters: Filters | None = None) -> dict[str, object]:
    """Counts for a selection of events.

    Parameters
    ----------
    events : pandas.DataFrame
        The selected events (the output of :func:`apply_filters`).
    filters : Filters, optional
        The selection used; its date range becomes ``start``/``end`` and the
        filters are echoed under ``filters``.

    Returns
    -------
    dict
        ``events``; ``provinces`` and ``districts``: distinct P-codes with at
        least one event; ``fatalities``: sum of reported fatalities (missing
        counts as 0, and ``events_without_fatalities`` says how many);
        ``start``/``end``: first and last event date (ISO, or None when empty);
        ``province_level_events``: events placed only to a province (they count
        toward provinces, not districts); ``unplaced_events``: events without a
        province; ``groups``: events per group. ``start``/``end`` are the
        filter's dates when given, else the first/last event's;
        ``first_event``/``last_event`` are always the data's.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"event_date": pd.to_datetime(["2024-03-02", "2024-05-01"]),
    ...     "group": ["NRF", "NRF"], "adm1_pcode": ["AF08", "AF32"], "adm2_pcode": ["AF0801", ""],
    ...     "fatalities": pd.array([2, None], dtype="Int64")})
    >>> s = summarize(frame)
    >>> (s["events"], s["provinces"], s["districts"], s["fatalities"], s["start"], s["end"])
    (2, 2, 1, 2, '2024-03-02', '2024-05-01')
    """
    adm1 = events["adm1_pcode"].fillna("")
    adm2 = events["adm2_pcode"].fillna("")
    fat = events["fatalities"]
    dates = events["event_date"].dropna()
    first = dates.min().date().isoformat() if len(dates) else None
    last = dates.max().date().isoformat() if len(dates) else None
    return {
        "events": int(len(events)),
        "provinces": int(adm1[adm1 != ""].nunique()),
        "districts": int(adm2[adm2 != ""].nunique()),
        "fatalities": int(fat.fillna(0).sum()),
        "events_without_fatalities": int(fat.isna().sum()),
        "start": filters.start.isoformat() if filters and filters.start else first,
        "end": filters.end.isoformat() if filters and filters.end else last,
        "first_event": first,
        "last_event": last,
        "province_level_events": int(((adm1 != "") & (adm2 == "")).sum()),
        "unplaced_events": int((adm1 == "").sum()),
        "groups": {str(k): int(v) for k, v in events["group"].value_counts().sort_index().items()},
        "filters": filters.as_dict() if filters else {},
    }


#: What joins the parts of :func:`headline`.
HEADLINE_SEPARATOR = " · "


def headline_parts(summary: dict[str, object]) -> list[str]:
    """The parts of :func:`headline` (a page may keep each part on one line and wrap between them).

    Examples
    --------
    >>> headline_parts({"events": 1, "provinces": 1, "districts": 0, "fatalities": 2,
    ...     "start": "2024-03-01", "end": "2025-03-31"})
    ['1 event', '1 province', '0 districts', '2 reported fatalities', '2024-03-01 – 2025-03-31']
    """
    start, end = summary["start"] or "–", summary["end"] or "–"

    def n(value: object, word: str) -> str:
        return f"{value:,} {word if value != 1 else word.rstrip('s')}"

    return [
        n(summary["events"], "events"),
        n(summary["provinces"], "provinces"),
        n(summary["districts"], "districts"),
        f"{summary['fatalities']:,} reported fatalities",
        f"{start} – {end}",
    ]


def headline(summary: dict[str, object]) -> str:
    """The one-line headline over the map, from :func:`summarize`'s output, e.g.
    ``"412 events · 19 provinces · 57 districts · 633 reported fatalities · 2024-03-01 – 2025-03-31"``.
    """
    return HEADLINE_SEPARATOR.join(headline_parts(summary))
