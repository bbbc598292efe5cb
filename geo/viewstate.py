"""The app's view as URL query parameters: parsing a shared link into :class:`Filters`, and back.

A view is the filter selection plus two map options. In a link it reads::

    ?group=NRF&group=AFF&start=2024-03-01&end=2025-03-31&type=Battles
     &province=AF32&claim=self-claimed&exact=1&metric=fatalities&basemap=none

Opening a link must never fail: :func:`parse_query_params` keeps what it can
use, and returns one warning per value it had to drop (naming the parameter,
the value, what was expected and the default used instead). Values equal to
the default (all groups present, the whole date span) are left out of the
link, so a link stays short and keeps meaning "everything" when data is added.

This module is pure (no streamlit): the app passes ``st.query_params`` in as a
plain mapping and writes the result of :func:`to_query_params` back.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection, Mapping, Sequence

import pandas as pd

from geo.errors import FilterError
from geo.filters import Filters, parse_date
from geo.groups import GROUPS
from geo.schema import CLAIM_STATUSES, aggregate_mask

#: Query parameter names, in the order a link lists them.
QUERY_KEYS: tuple[str, ...] = ("group", "start", "end", "type", "province", "claim", "exact", "metric", "basemap")

#: Map metrics: value in the link -> label in the app.
METRICS: dict[str, str] = {"events": "Events", "fatalities": "Reported fatalities"}

#: Basemaps: value in the link -> label in the app. ``none`` needs no network.
BASEMAPS: dict[str, str] = {"osm": "OpenStreetMap", "none": "No basemap (offline)"}

#: Parameters other tools add to a Streamlit URL; ignored without a warning.
_FOREIGN_PREFIXES = ("embed", "utm_")

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")


@dataclasses.dataclass(frozen=True)
class FilterOptions:
    """What the data offers to choose from (the sidebar's options, and what a link may ask for).

    Attributes
    ----------
    groups : tuple of str
        Groups with at least one event, in :data:`geo.groups.GROUPS` order.
    event_types : tuple of str
        Event types present, sorted.
    provinces : dict of str to str
        Province P-code -> name (``admin1``), for provinces with events, sorted by P-code.
    claim_statuses : tuple of str
        Claim statuses present, in :data:`geo.schema.CLAIM_STATUSES` order.
    first, last : datetime.date or None
        First and last event date (None when there are no dated events).
    """

    groups: tuple[str, ...] = ()
    event_types: tuple[str, ...] = ()
    provinces: dict[str, str] = dataclasses.field(default_factory=dict)
    claim_statuses: tuple[str, ...] = ()
    first: dt.date | None = None
    last: dt.date | None = None


@dataclasses.dataclass(frozen=True)
class ViewState:
    """A shareable view: the filters and the map options.

    Examples
    --------
    >>> ViewState().metric, ViewState().basemap
    ('events', 'osm')
    """

    filters: Filters = dataclasses.field(default_factory=Filters)
    metric: str = "events"
    basemap: str = "osm"


def filter_options(events: pd.DataFrame) -> FilterOptions:
    """The choices the data offers, from its single events (aggregate statements are left out).

    Parameters
    ----------
    events : pandas.DataFrame
        Events in the schema (:func:`geo.events.load_events`).

    Returns
    -------
    FilterOptions

    Examples
    --------
    >>> from geo.events import load_events
    >>> opts = filter_options(load_events())
    >>> "NRF" in opts.groups and opts.first < opts.last
    True
    """
    single = events.loc[~aggregate_mask(events)]
    present = set(single["group"].dropna())
    types = sorted({t for t in single["event_type"].dropna() if str(t).strip()})
    claims = set(single["claim_status"].dropna())
    placed = single.loc[single["adm1_pcode"].fillna("").astype(str) != "", ["adm1_pcode", "admin1"]]
    names = placed.drop_duplicates("adm1_pcode").sort_values("adm1_pcode")
    provinces = {
        str(p): (str(n) if str(n).strip() else str(p))
        for p, n in zip(names["adm1_pcode"], names["admin1"].fillna(""), strict=True)
    }
    dates = single["event_date"].dropna()
    return FilterOptions(
        groups=tuple(g for g in GROUPS if g in present),
        event_types=tuple(types),
        provinces=provinces,
        claim_statuses=tuple(c for c in CLAIM_STATUSES if c in claims),
        first=dates.min().date() if len(dates) else None,
        last=dates.max().date() if len(dates) else None,
    )


def _values(params: Mapping[str, object], key: str) -> list[str]:
    """The values of ``key`` as a list of stripped strings (a mapping may hold a str or a list)."""
    raw = params.get(key)
    if raw is None:
        return []
    items = [raw] if isinstance(raw, str) or not isinstance(raw, Sequence) else list(raw)
    return [str(v).strip() for v in items]


def _pick_many(
    params: Mapping[str, object],
    key: str,
    allowed: Sequence[str],
    *,
    what: str,
    known: Sequence[str] = (),
    warnings: list[str],
) -> tuple[str, ...] | None:
    """Values of a repeatable parameter that are in ``allowed`` (matched ignoring case); warn about the rest.

    ``known`` values are valid in general but absent from this data (a different warning).
    Returns None (no restriction) when nothing usable remains or everything allowed was asked for.
    """
    by_fold = {a.casefold(): a for a in allowed}
    known_fold = {k.casefold(): k for k in known}
    kept: list[str] = []
    for value in _values(params, key):
        if value.casefold() in by_fold:
            canonical = by_fold[value.casefold()]
            if canonical not in kept:
                kept.append(canonical)
        elif value.casefold() in known_fold:
            warnings.append(f"Ignored {key}={value!r}: no {what} {known_fold[value.casefold()]!r} in this data.")
        else:
            shown = ", ".join(allowed) if len(allowed) <= 12 else ", ".join(list(allowed)[:12]) + ", ..."
            warnings.append(f"Ignored {key}={value!r}: expected a {what} among {shown}.")
    if _values(params, key) and not kept:
        warnings.append(f"No valid {key} in the link: showing every {what} (the default).")
    if not kept or set(kept) == set(allowed):
        return None
    # Keep the data's order, so the same selection gives the same link.
    return tuple(a for a in allowed if a in kept)


def _pick_date(params: Mapping[str, object], key: str, *, warnings: list[str]) -> dt.date | None:
    values = [v for v in _values(params, key)]
    if not values or values[0] == "":
        return None
    if len(values) > 1:
        warnings.append(f"Several {key} values in the link ({', '.join(values)}): using the first, {values[0]!r}.")
    try:
        return parse_date(values[0], field=key)
    except FilterError:
        warnings.append(
            f"Ignored {key}={values[0]!r}: expected a date YYYY-MM-DD; using the default (the whole span of the data)."
        )
        return None


def _pick_one(
    params: Mapping[str, object], key: str, allowed: Sequence[str], default: str, *, warnings: list[str]
) -> str:
    values = _values(params, key)
    if not values:
        return default
    if values[0].lower() in allowed:
        return values[0].lower()
    warnings.append(f"Ignored {key}={values[0]!r}: expected one of {', '.join(allowed)}; using {default!r}.")
    return default


def parse_query_params(
    params: Mapping[str, object], options: FilterOptions, *, extra_keys: Collection[str] = ()
) -> tuple[ViewState, list[str]]:
    """Read a view from URL query parameters; never raises on bad values.

    Parameters
    ----------
    params : mapping of str to str or list of str
        The query parameters (``{k: st.query_params.get_all(k) for k in st.query_params}``).
        Repeatable parameters: ``group``, ``type``, ``province``, ``claim``.
    options : FilterOptions
        What the data offers (:func:`filter_options`); values outside it are dropped.
    extra_keys : collection of str, optional
        Other parameters the app uses (a page's own, e.g. ``freq``): not warned about.

    Returns
    -------
    (ViewState, list of str)
        The view (dropped values replaced by their default) and one warning per
        dropped value, naming the parameter, the value and what was expected.

    Examples
    --------
    >>> opts = FilterOptions(groups=("NRF", "AFF"), first=dt.date(2021, 8, 20), last=dt.date(2025, 12, 10))
    >>> view, warnings = parse_query_params({"group": ["NRF", "XYZ"], "start": "2024-13-40"}, opts)
    >>> view.filters.groups, view.filters.start
    (('NRF',), None)
    >>> len(warnings)
    2
    """
    warnings: list[str] = []
    groups = _pick_many(params, "group", options.groups, what="group", known=GROUPS, warnings=warnings)
    start = _pick_date(params, "start", warnings=warnings)
    end = _pick_date(params, "end", warnings=warnings)
    if start and end and start > end:
        warnings.append(
            f"Ignored start={start} and end={end}: the end is before the start; showing the whole span of the data."
        )
        start = end = None
    types = _pick_many(params, "type", options.event_types, what="event type", warnings=warnings)
    provinces = _pick_province(params, options, warnings=warnings)
    claims = _pick_many(
        params, "claim", options.claim_statuses, what="claim status", known=CLAIM_STATUSES, warnings=warnings
    )
    exact = False
    exact_values = _values(params, "exact")
    if exact_values:
        flag = exact_values[0].lower()
        if flag in _TRUE:
            exact = True
        elif flag not in _FALSE:
            warnings.append(f"Ignored exact={exact_values[0]!r}: expected 1 or 0; showing all precisions.")
    metric = _pick_one(params, "metric", tuple(METRICS), "events", warnings=warnings)
    basemap = _pick_one(params, "basemap", tuple(BASEMAPS), "osm", warnings=warnings)
    for key in params:
        if key not in QUERY_KEYS and key not in extra_keys and not str(key).startswith(_FOREIGN_PREFIXES):
            warnings.append(f"Ignored unknown parameter {key!r}: expected one of {', '.join(QUERY_KEYS)}.")
    filters = Filters(
        groups=groups,
        start=start,
        end=end,
        event_types=types,
        provinces=provinces,
        claim_statuses=claims,
        exact_only=exact,
    )
    return ViewState(filters=normalize_filters(filters, options), metric=metric, basemap=basemap), warnings


def _pick_province(
    params: Mapping[str, object], options: FilterOptions, *, warnings: list[str]
) -> tuple[str, ...] | None:
    """Provinces by P-code (``AF32``) or by name in any known spelling (``Hirat``, ``Herat``), ignoring case."""
    codes = {code.casefold(): code for code in options.provinces}
    codes.update({name.casefold(): code for code, name in options.provinces.items()})
    values = _values(params, "province")
    kept = []
    for value in values:
        code = codes.get(value.casefold())
        if code is None:
            # Any spelling the gazetteer knows: "Herat", "Panjshir", "Helmand", "هرات".
            from geo.gazetteer import load_gazetteer

            found = load_gazetteer().province_code(value)
            code = found if found in options.provinces else None
        if code is None:
            shown = ", ".join(f"{c} ({n})" for c, n in list(options.provinces.items())[:6])
            warnings.append(
                f"Ignored province={value!r}: expected the P-code or name of a province with events, e.g. {shown}."
            )
        elif code not in kept:
            kept.append(code)
    if values and not kept:
        warnings.append("No valid province in the link: showing every province (the default).")
    if not kept or set(kept) == set(options.provinces):
        return None
    return tuple(c for c in options.provinces if c in kept)


def normalize_filters(filters: Filters, options: FilterOptions) -> Filters:
    """The same selection with default values written as "no restriction".

    Selecting every group present is no group restriction, and a date equal to
    the data's first (last) date is no start (end) date. Equal selections then
    give equal links, and a link without dates keeps meaning "the whole span".

    Examples
    --------
    >>> opts = FilterOptions(groups=("NRF", "AFF"), first=dt.date(2021, 8, 20), last=dt.date(2025, 12, 10))
    >>> normalize_filters(Filters(groups=("AFF", "NRF"), start=dt.date(2021, 8, 20)), opts)
    Filters(groups=None, start=None, end=None, event_types=None, provinces=None, claim_statuses=None, exact_only=False)
    """

    def many(values: tuple[str, ...] | None, allowed: Sequence[str]) -> tuple[str, ...] | None:
        if not values or (allowed and set(values) >= set(allowed)):
            return None
        order = {a: i for i, a in enumerate(allowed)}
        return tuple(sorted(values, key=lambda v: order.get(v, len(order))))

    return Filters(
        groups=many(filters.groups, options.groups),
        start=None if filters.start is not None and filters.start == options.first else filters.start,
        end=None if filters.end is not None and filters.end == options.last else filters.end,
        event_types=many(filters.event_types, options.event_types),
        provinces=many(filters.provinces, tuple(options.provinces)),
        claim_statuses=many(filters.claim_statuses, options.claim_statuses),
        exact_only=bool(filters.exact_only),
    )


def to_query_params(view: ViewState) -> dict[str, list[str]]:
    """The query parameters of a view (defaults left out), for ``st.query_params.from_dict``.

    Examples
    --------
    >>> to_query_params(ViewState(Filters(groups=("NRF", "AFF"), start=dt.date(2024, 3, 1)), basemap="none"))
    {'group': ['NRF', 'AFF'], 'start': ['2024-03-01'], 'basemap': ['none']}
    """
    f = view.filters
    out: dict[str, list[str]] = {}
    if f.groups:
        out["group"] = list(f.groups)
    if f.start:
        out["start"] = [f.start.isoformat()]
    if f.end:
        out["end"] = [f.end.isoformat()]
    if f.event_types:
        out["type"] = list(f.event_types)
    if f.provinces:
        out["province"] = list(f.provinces)
    if f.claim_statuses:
        out["claim"] = list(f.claim_statuses)
    if f.exact_only:
        out["exact"] = ["1"]
    if view.metric != "events":
        out["metric"] = [view.metric]
    if view.basemap != "osm":
        out["basemap"] = [view.basemap]
    return out
