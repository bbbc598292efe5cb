"""Reviewing events before and after they are stored: what starts unticked, what cannot be stored,
how review edits apply, which stored events are likely the same one, and how an event reads in a table.

Pure functions over frames; the Data page (``pages/upload_box.py``, ``pages/data.py``) and
``python -m geo db import`` call them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from geo import settings
from geo.display import common_name, date_labels, placement_label, unit_label
from geo.schema import aggregate_mask, validate_events
from geo.tables import read_csv_table
from geo.validate import LIKELY_DUPLICATE_DAYS, likely_duplicate_pairs

#: Review-note fields that are a location check: a row failing one starts unticked in the review.
LOCATION_FIELDS = ("latitude/longitude", "latitude", "longitude", "location", "adm1_pcode/adm2_pcode")

#: Review-note fields that are a date check.
DATE_FIELDS = ("event_date", "date_precision")

#: Review notes that report a repair, not a failure (the row starts ticked).
REPAIRED = re.compile(r"swapped .*fixed$")

#: Reason given to an event that has no province: it cannot be mapped or counted, so it is not stored.
UNPLACED_REASON = "location: not placed in Afghanistan (no province)"

#: Columns the upload review editor shows, in order: why first.
REVIEW_COLUMNS = (
    "review_note",
    "keep",
    "event_id",
    "event_date",
    "group",
    "location",
    "adm1_pcode",
    "adm2_pcode",
    "latitude",
    "longitude",
    "fatalities",
    "actor2",
)

#: Columns of the review editor that carry values back into the events.
EDITED_COLUMNS = tuple(c for c in REVIEW_COLUMNS if c not in ("review_note", "keep", "event_id"))


@functools.lru_cache(maxsize=2)
def _unit_choices(folder: str) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    units = read_csv_table(Path(folder) / settings.ADMIN_UNITS_FILE)
    provinces = units.loc[units["level"] == "1"]
    province_names = dict(zip(provinces["pcode"], provinces["name_en"], strict=True))
    by_province = tuple(
        (code, f"{unit_label(code, name)} · {code}") for code, name in zip(provinces["pcode"], provinces["name_en"],
                                                                            strict=True)
    )  # fmt: skip
    districts = units.loc[units["level"] == "2"]
    by_district = tuple(
        (code, f"{unit_label(code, name)}, {common_name(parent, province_names.get(parent, ''))} · {code}")
        for code, name, parent in zip(districts["pcode"], districts["name_en"], districts["parent_pcode"], strict=True)
    )
    return by_province, by_district


def unit_choices() -> tuple[dict[str, str], dict[str, str]]:
    """Province and district P-codes, each with how the review shows it: the name first (11 district names
    repeat, so a district names its province), the P-code after.

    Examples
    --------
    >>> provinces, districts = unit_choices()
    >>> len(provinces), len(districts)
    (34, 399)
    >>> provinces["AF32"], provinces["AF08"], districts["AF0801"]
    ('Herat (Hirat) · AF32', 'Panjshir (Panjsher) · AF08', 'Bazarak, Panjshir · AF0801')
    """
    provinces, districts = _unit_choices(str(settings.gazetteer_dir()))
    return dict(provinces), dict(districts)


def failed_checks(note: str) -> list[str]:
    """The location and date checks a review note reports as failed (repairs such as a fixed swap excluded).

    Examples
    --------
    >>> failed_checks("latitude/longitude: (36.29, 59.6) is outside Afghanistan; location: the place could not be resolved")
    ['latitude/longitude', 'location']
    >>> failed_checks("latitude/longitude: swapped (got latitude 69.4, longitude 35.4), fixed")
    []
    >>> failed_checks("likely duplicate of 'X-2' (same group NRF, district AF0801, dates within 1 day)")
    []
    """
    failed = []
    for part in str(note or "").split("; "):
        field, _, what = part.partition(": ")
        field = field.strip()
        if field in (*LOCATION_FIELDS, *DATE_FIELDS) and not REPAIRED.search(what.strip()):
            if field not in failed:
                failed.append(field)
    return failed


def initial_keep(events: pd.DataFrame) -> np.ndarray:
    """Whether each event starts ticked ("keep") in the review: not when a location or date check failed."""
    notes = events["review_note"].astype("string").fillna("") if "review_note" in events else None
    if notes is None:
        return np.ones(len(events), dtype=bool)
    return np.array([not failed_checks(n) for n in notes], dtype=bool)


def unplaced_mask(events: pd.DataFrame) -> np.ndarray:
    """Events that cannot be stored: no province (not a group statement, which is never placed)."""
    adm1 = events["adm1_pcode"].astype("string").fillna("").str.strip()
    return ((adm1 == "").to_numpy(dtype=bool)) & ~aggregate_mask(events)


def split_unplaced(events: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(storable events, the others with ``reason``): an event outside Afghanistan or never placed is not stored.

    Examples
    --------
    >>> frame = pd.DataFrame({"event_id": ["A", "B"], "adm1_pcode": ["AF08", ""], "notes": ["", ""],
    ...                       "review_note": ["", "latitude/longitude: (36.29, 59.6) is outside Afghanistan"]})
    >>> ok, out = split_unplaced(frame)
    >>> ok["event_id"].tolist(), out["reason"].tolist()
    (['A'], ['location: not placed in Afghanistan (no province); latitude/longitude: (36.29, 59.6) is outside Afghanistan'])
    """
    mask = unplaced_mask(events)
    out = events.loc[mask].copy()
    note = out["review_note"].astype("string").fillna("") if "review_note" in out else pd.Series("", index=out.index)
    out["reason"] = np.where(note != "", UNPLACED_REASON + "; " + note, UNPLACED_REASON)
    return events.loc[~mask].reset_index(drop=True), out.reset_index(drop=True)


def review_table(events: pd.DataFrame) -> pd.DataFrame:
    """The rows to review (``needs_review``) as the editor shows them: why first, "keep" as :func:`initial_keep`."""
    review = events.loc[events["needs_review"].astype(bool).to_numpy()]
    table = review.assign(keep=initial_keep(review))[list(REVIEW_COLUMNS)].copy()
    table["event_date"] = table["event_date"].dt.date
    return table.reset_index(drop=True)


def edited_table(table: pd.DataFrame, state: dict | None) -> pd.DataFrame:
    """The review table with a data editor's recorded edits applied (``{"edited_rows": {row: {column: value}}}``).

    What ``st.data_editor`` keeps in its session state, as plain values: dates as ISO text, missing as None.
    Added and deleted rows are not allowed in the review, so they are ignored.

    Examples
    --------
    >>> t = pd.DataFrame({"keep": [False, True], "event_id": ["A", "B"], "fatalities": [1, 2]})
    >>> edited_table(t, {"edited_rows": {"0": {"keep": True, "fatalities": 5}}}).values.tolist()
    [[True, 'A', 5], [True, 'B', 2]]
    """
    out = table.copy()
    for row, changes in ((state or {}).get("edited_rows") or {}).items():
        position = int(row)
        for column, value in changes.items():
            if column not in out.columns:
                continue
            if column == "event_date" and value is not None:
                value = pd.Timestamp(str(value)[:10]).date()
            out.iloc[position, out.columns.get_loc(column)] = value
    return out


def apply_review(events: pd.DataFrame, edited: pd.DataFrame | None) -> tuple[pd.DataFrame, int]:
    """The events to keep after review: edits applied, unticked rows removed, reviewed rows no longer flagged.

    Parameters
    ----------
    events : pandas.DataFrame
        :func:`geo.ingest.ingest`'s events (with ``needs_review``/``review_note``).
    edited : pandas.DataFrame or None
        The review editor's table (:func:`review_table`, as edited).

    Returns
    -------
    (pandas.DataFrame, int)
        The kept events, checked against the schema, and how many were dropped.

    Raises
    ------
    SchemaError
        An edit breaks the schema (row and field named).
    """
    events = events.copy()
    if edited is None or edited.empty:
        return events, 0
    keep_ids = set(edited.loc[edited["keep"].astype(bool), "event_id"])
    drop = events["needs_review"].astype(bool) & ~events["event_id"].isin(keep_ids)
    edits = edited.set_index("event_id")
    events = events.set_index("event_id", drop=False)
    for col in EDITED_COLUMNS:
        if col not in edits:
            continue
        values = edits[col]
        if col == "event_date":
            values = pd.to_datetime(values)
        events.loc[edits.index, col] = values.to_numpy()
    events["review_note"] = events["review_note"].astype("string")
    reviewed = events.index.isin(edits.index)
    events.loc[reviewed, "review_note"] = "reviewed in the app: " + events.loc[reviewed, "review_note"]
    events.loc[reviewed, "needs_review"] = False
    events = events.reset_index(drop=True)[~drop.to_numpy()]
    # The edits must still follow the schema (dates, groups, non-negative fatalities...).
    checked = validate_events(events.drop(columns=["needs_review", "review_note"]))
    checked["needs_review"] = events["needs_review"].astype(bool).to_numpy()
    checked["review_note"] = events["review_note"].to_numpy()
    return checked.reset_index(drop=True), int(drop.sum())


def duplicate_pairs(
    events: pd.DataFrame,
    *,
    days: int = LIKELY_DUPLICATE_DAYS,
    dismissed: Iterable[tuple[str, str]] | None = None,
) -> pd.DataFrame:
    """Pairs of likely duplicates by the ingest review's rule (:func:`geo.validate.likely_duplicate_pairs`):
    same group, same district, dates within ``days``; ties on a date in ``event_id`` order.

    Group statements and events without a district or a date are not compared. A pair in ``dismissed``
    (judged two different events, :meth:`geo.store.Store.distinct_pairs`) is not shown: each event is
    paired with the next one in its window that is not dismissed instead.

    Returns
    -------
    pandas.DataFrame
        ``first``, ``second`` (event ids, the earlier date first) and ``days_apart``.

    Examples
    --------
    >>> ev = pd.DataFrame({"event_id": ["a", "b", "c"], "group": ["NRF"] * 3, "adm2_pcode": ["AF0101"] * 3,
    ...                    "event_date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-09"]), "notes": ""})
    >>> duplicate_pairs(ev).values.tolist()
    [['a', 'b', 1]]
    >>> duplicate_pairs(ev, dismissed={("a", "b")}).empty
    True
    """
    first, second = likely_duplicate_pairs(
        events, days=days, exclude=aggregate_mask(events), tiebreak=events["event_id"], dismissed=dismissed
    )
    ids = events["event_id"].to_numpy()
    dates = pd.to_datetime(events["event_date"]).to_numpy()
    gap = ((dates[second] - dates[first]) // np.timedelta64(1, "D")).astype(int)
    return pd.DataFrame({"first": ids[first], "second": ids[second], "days_apart": gap})


def labelled(events: pd.DataFrame) -> pd.DataFrame:
    """A copy with the reader's wording (:mod:`geo.display`): ``when`` ("Mar 2024 (month)"), ``placed``
    ("placed at district centre"), ``province`` and ``district`` ("Herat (Hirat)")."""
    out = events.copy()
    out["when"] = date_labels(events)
    out["placed"] = [placement_label(p) for p in events["geo_precision"]]
    out["province"] = [unit_label(p, n) for p, n in zip(events["adm1_pcode"], events["admin1"], strict=True)]
    out["district"] = [unit_label(p, n) for p, n in zip(events["adm2_pcode"], events["admin2"], strict=True)]
    return out
