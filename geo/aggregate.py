"""Counting events per district and per province (for shaded maps and aggregate exports).

Joins are on P-codes, never on names. An event known only to its province
(``adm2_pcode`` empty) counts toward its province, never toward a district.
Group statements that bundle many attacks (``is_aggregate``) are left out:
they are not single events (:func:`geo.filters.apply_filters` drops them too).
"""

from __future__ import annotations

import pandas as pd

from geo.groups import GROUPS
from geo.schema import aggregate_mask

#: Columns of :func:`aggregate_by_district` and :func:`aggregate_by_province`.
AGGREGATE_COLUMNS: tuple[str, ...] = (
    "adm1_pcode",
    "adm2_pcode",
    "events",
    "fatalities",
    "first_date",
    "last_date",
    "groups",
)


#: The columns the aggregates read: only these are copied when rows are selected
#: (taking whole wide rows of a 1M-event frame cost ten times the counting itself).
_INPUT_COLUMNS: tuple[str, ...] = ("adm1_pcode", "adm2_pcode", "event_date", "group", "fatalities")


def _single_events(events: pd.DataFrame) -> pd.DataFrame:
    """The rows that are single events, narrowed to :data:`_INPUT_COLUMNS`, P-codes as plain strings ('' when missing)."""
    out = events[list(_INPUT_COLUMNS)].loc[~aggregate_mask(events)]
    out = out.assign(
        adm1_pcode=out["adm1_pcode"].fillna("").astype(str),
        adm2_pcode=out["adm2_pcode"].fillna("").astype(str),
    )
    return out


def _groups_text(values: pd.Series) -> str:
    present = set(values.astype(str).unique())
    return ", ".join(g for g in GROUPS if g in present)


def _aggregate(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    if frame.empty:
        out = pd.DataFrame({c: pd.Series(dtype="object") for c in AGGREGATE_COLUMNS})
        out["events"] = out["events"].astype("int64")
        out["fatalities"] = out["fatalities"].astype("int64")
        out["first_date"] = pd.to_datetime(out["first_date"])
        out["last_date"] = pd.to_datetime(out["last_date"])
        return out
    work = frame.assign(_fat=pd.to_numeric(frame["fatalities"], errors="coerce").fillna(0).astype("int64"))
    grouped = work.groupby(keys, sort=True)
    out = pd.DataFrame(
        {
            "events": grouped.size().astype("int64"),
            "fatalities": grouped["_fat"].sum().astype("int64"),
            "first_date": grouped["event_date"].min(),
            "last_date": grouped["event_date"].max(),
            "groups": grouped["group"].agg(_groups_text),
        }
    ).reset_index()
    return out


def aggregate_by_district(events: pd.DataFrame) -> pd.DataFrame:
    """Events, reported fatalities, date span and groups per district (events placed to a district only).

    Parameters
    ----------
    events : pandas.DataFrame
        Events in the schema, usually already filtered (:func:`geo.filters.apply_filters`).

    Returns
    -------
    pandas.DataFrame
        One row per district with at least one event, sorted by P-code:
        ``adm1_pcode, adm2_pcode, events, fatalities, first_date, last_date, groups``
        (``fatalities`` counts a missing value as 0, like :func:`geo.filters.summarize`;
        ``groups`` lists the group codes present, in :data:`geo.groups.GROUPS` order).

    Examples
    --------
    >>> from geo.events import load_events
    >>> from geo.filters import Filters, apply_filters
    >>> nrf = apply_filters(load_events(), Filters(groups=("NRF",)))
    >>> by_district = aggregate_by_district(nrf)
    >>> int(by_district["events"].sum()) == int((nrf["adm2_pcode"] != "").sum())
    True
    """
    frame = _single_events(events)
    frame = frame.loc[(frame["adm2_pcode"] != "").to_numpy()]
    out = _aggregate(frame, ["adm1_pcode", "adm2_pcode"])
    return out[list(AGGREGATE_COLUMNS)].reset_index(drop=True)


def aggregate_by_province(events: pd.DataFrame) -> pd.DataFrame:
    """The same per province, including events known only to province level.

    Returns
    -------
    pandas.DataFrame
        One row per province with at least one event: the columns of
        :func:`aggregate_by_district` (``adm2_pcode`` empty) plus
        ``province_level_events`` (how many of them have no district).

    Examples
    --------
    >>> from geo.events import load_events
    >>> from geo.filters import Filters, apply_filters
    >>> events = apply_filters(load_events(), Filters())
    >>> by_province = aggregate_by_province(events)
    >>> int(by_province["events"].sum()) == int((events["adm1_pcode"] != "").sum())
    True
    """
    frame = _single_events(events)
    frame = frame.loc[(frame["adm1_pcode"] != "").to_numpy()]
    out = _aggregate(frame, ["adm1_pcode"])
    out["adm2_pcode"] = ""
    level = frame.loc[(frame["adm2_pcode"] == "").to_numpy()].groupby("adm1_pcode").size()
    out["province_level_events"] = out["adm1_pcode"].map(level).fillna(0).astype("int64")
    return out[list(AGGREGATE_COLUMNS) + ["province_level_events"]].reset_index(drop=True)


def province_level_events(events: pd.DataFrame) -> pd.DataFrame:
    """The events known only to province level (a province P-code, no district): never drawn as points.

    Examples
    --------
    >>> from geo.events import load_events
    >>> level = province_level_events(load_events())
    >>> bool((level["adm2_pcode"] == "").all() and (level["adm1_pcode"] != "").all())
    True
    """
    frame = _single_events(events)
    mask = (frame["adm1_pcode"] != "") & (frame["adm2_pcode"] == "")
    return events.loc[frame.index[mask.to_numpy()]].copy()
