"""How an event is shown to a reader: dates with their precision, where a point stands, unit names.

One place for the wording every page, popup, table and export uses, so a month-level event never
reads as the first of the month and a point placed at a district's centre never reads as the place
the report named. Pure functions; no UI.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import pandas as pd

from geo import settings
from geo.schema import PRECISION_DISTRICT, PRECISION_PLACE, PRECISION_PROVINCE
from geo.tables import read_csv_table

#: What a point on the map stands for, by ``geo_precision``.
PLACEMENT_LABELS: dict[int, str] = {
    PRECISION_PLACE: "placed at the named place",
    PRECISION_DISTRICT: "placed at district centre",
    PRECISION_PROVINCE: "province only (not drawn as a point)",
}

#: Shown when an event has no usable ``geo_precision``.
UNPLACED_LABEL = "not placed"


def date_label(event_date: object, date_precision: object = "day") -> str:
    """An event date as a reader should see it, with its precision when coarser than a day.

    Parameters
    ----------
    event_date : str, datetime-like or None
        ``YYYY-MM-DD`` (month precision uses day 01, week precision an anchor day).
    date_precision : str
        ``day``, ``week``, ``month`` or ``year``; empty means ``day``.

    Returns
    -------
    str
        ``""`` for a missing date.

    Examples
    --------
    >>> date_label("2025-12-10", "day")
    '10 Dec 2025'
    >>> date_label("2024-03-01", "month")
    'Mar 2024 (month)'
    >>> date_label("2024-09-02", "week")
    'week of 2 Sep 2024 (week)'
    >>> date_label("2023-01-01", "year")
    '2023 (year)'
    """
    if event_date is None or (isinstance(event_date, float) and math.isnan(event_date)):
        return ""
    stamp = pd.to_datetime(str(event_date)[:10], errors="coerce", format="%Y-%m-%d")
    if pd.isna(stamp):
        return str(event_date)
    precision = str(date_precision or "day").strip().lower()
    if precision == "month":
        return f"{stamp:%b %Y} (month)"
    if precision == "year":
        return f"{stamp:%Y} (year)"
    day = f"{stamp.day} {stamp:%b %Y}"
    return f"week of {day} (week)" if precision == "week" else day


def date_labels(frame: pd.DataFrame) -> pd.Series:
    """:func:`date_label` for every row of an event frame (``event_date``, ``date_precision``)."""
    precision = frame["date_precision"] if "date_precision" in frame else pd.Series("day", index=frame.index)
    return pd.Series(
        [date_label(d, p) for d, p in zip(frame["event_date"], precision, strict=True)],
        index=frame.index,
        dtype=object,
    )


def placement_label(geo_precision: object) -> str:
    """What an event's point stands for.

    Examples
    --------
    >>> placement_label(2)
    'placed at district centre'
    >>> placement_label("3")
    'province only (not drawn as a point)'
    >>> placement_label(None)
    'not placed'
    """
    try:
        return PLACEMENT_LABELS.get(int(float(str(geo_precision))), UNPLACED_LABEL)
    except ValueError:
        return UNPLACED_LABEL


@functools.lru_cache(maxsize=4)
def _common_names(folder: str) -> dict[str, str]:
    """P-code -> common English name for the provinces whose press name differs from OCHA's, and their capitals."""
    variants = read_csv_table(Path(folder) / settings.PROVINCE_VARIANTS_FILE)
    units = read_csv_table(Path(folder) / settings.ADMIN_UNITS_FILE)
    names = {}
    for row in variants.itertuples(index=False):
        if row.common_name_en and row.common_name_en != row.ocha_name_en:
            names[row.adm1_pcode] = row.common_name_en
            # The capital district that shares the province's OCHA name (Hirat in Hirat) takes its common name too.
            in_province = (units["level"] == "2") & (units["parent_pcode"] == row.adm1_pcode)
            capital = units[in_province & (units["name_en"] == row.ocha_name_en)]
            for pcode in capital["pcode"]:
                names[pcode] = row.common_name_en
    return names


def common_name(pcode: str, ocha_name: str) -> str:
    """The name English-language readers know a unit by (``Herat`` for OCHA ``Hirat``), else the OCHA name.

    Examples
    --------
    >>> common_name("AF32", "Hirat"), common_name("AF3201", "Hirat"), common_name("AF09", "Baghlan")
    ('Herat', 'Herat', 'Baghlan')
    """
    return _common_names(str(settings.gazetteer_dir())).get(str(pcode), ocha_name)


def unit_label(pcode: str, ocha_name: str) -> str:
    """A province or district as shown in the app: the common name, with the OCHA one where they differ.

    Examples
    --------
    >>> unit_label("AF32", "Hirat"), unit_label("AF08", "Panjsher"), unit_label("AF09", "Baghlan")
    ('Herat (Hirat)', 'Panjshir (Panjsher)', 'Baghlan')
    >>> unit_label("", "")
    ''
    """
    name = common_name(pcode, ocha_name)
    return name if name == ocha_name else f"{name} ({ocha_name})"
