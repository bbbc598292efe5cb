"""The Data page's upload box: bring events in, see them and their rejects, review, add them.

UI only: the reading, validation and geocoding are :func:`geo.ingest.ingest`, the review rules
:mod:`geo.review`, the writing :meth:`geo.store.Store.import_events`. Nothing is kept until the user says so:

1. the parsed events and the rejects (with reasons) are shown;
2. events marked ``needs_review`` are listed in an editor, "Why" first and whole (wrapped); provinces and
   districts by name (the cells keep P-codes); a row that failed a location or a date check (outside
   Afghanistan, another province, an unresolved place...) starts unticked;
3. "Add to the database" (editors only) adds the kept events in one transaction, with the import's counts;
   an event that is still not placed in Afghanistan is refused, naming it;
4. "Show in this session only" puts them in ``st.session_state[UPLOADED_EVENTS_KEY]``, which
   :func:`pages.common.all_events` adds to the shared events for this session only.

After either, the box clears (a new, empty uploader): the same file is not read again.
Every text from the upload is shown through ``st.dataframe``/``st.data_editor``
(which never render HTML) or escaped with :func:`pages.common.md_text`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math

import pandas as pd
import streamlit as st

from geo import settings
from geo.errors import AfgMapError, report_failure
from geo.groups import GROUPS
from geo.ingest import FORMATS, IngestResult, ingest
from geo.review import apply_review, edited_table, review_table, split_unplaced, unit_choices
from geo.store import sha256_bytes
from pages import common, editor

#: Session key holding the events the user added to this session's view (a DataFrame in the schema,
#: as :func:`geo.events.load_events` returns it, plus ``needs_review``/``review_note``).
UPLOADED_EVENTS_KEY = common.UPLOADED_EVENTS_KEY

_K_RESULT = "_upload_result"  # (content key, IngestResult) of the last parsed upload
_K_MESSAGE = "_upload_message"
_K_UPLOADER = "_upload_widget_n"  # the uploader's key suffix: a new number gives an empty box
_K_ERROR = "_upload_error"

#: Width of the review's "Why" column (pixels), and about how many characters of a note fit on one line of it.
WHY_WIDTH_PX = 440
WHY_CHARS_PER_LINE = 52
#: Pixels per wrapped line of a note, and the most lines a review row grows to (a longer note opens on click).
LINE_PX = 21
MAX_WHY_LINES = 10
#: st.data_editor wraps text only in rows taller than 4rem (64 px).
WRAP_MIN_ROW_PX = 68

_FORMAT_LABELS = {
    "auto": "Recognise it",
    "project": "Our CSV",
    "acled": "ACLED export",
    "ucdp": "UCDP GED",
    "geojson": "GeoJSON",
    "text": "Free text (one report per paragraph)",
}


def uploaded_events() -> pd.DataFrame | None:
    """The events added to this session's view, or None."""
    return st.session_state.get(UPLOADED_EVENTS_KEY)


def _known_ids() -> list[str]:
    """Ids already taken: every stored event's (deleted ones too), else the loaded files'."""
    source = common.event_source()
    if source.writable:
        return source.store().event_ids()
    return list(common.all_events()["event_id"])


def _parse(data: bytes, name: str, fmt: str) -> IngestResult:
    """Ingest once per distinct upload (a rerun must not geocode again)."""
    key = (hashlib.sha1(data).hexdigest(), name, fmt, common.events_stamp())
    cached = st.session_state.get(_K_RESULT)
    if cached and cached[0] == key:
        return cached[1]
    known = _known_ids()
    with st.spinner("Reading, checking and geocoding…"):
        result = ingest(data, fmt=fmt, name=name, known_ids=known)
    st.session_state[_K_RESULT] = (key, result, name, sha256_bytes(data))
    return result


def _reviewed(result: IngestResult, edited: pd.DataFrame | None) -> pd.DataFrame:
    """The events to keep: edits applied, dropped rows removed, reviewed rows no longer flagged."""
    return apply_review(result.events, edited)[0]


def _clear_box() -> None:
    ss = st.session_state
    ss.pop(_K_RESULT, None)
    ss[_K_UPLOADER] = ss.get(_K_UPLOADER, 0) + 1


def why_row_height(notes: pd.Series) -> int | None:
    """Row height that shows the longest review note whole, wrapped in the "Why" column (None: one line is enough).

    Examples
    --------
    >>> why_row_height(pd.Series(["location: the place could not be resolved"])) is None
    True
    >>> why_row_height(pd.Series(["x" * 120]))
    73
    """
    longest = int(notes.astype("string").fillna("").str.len().max() or 0)
    lines = min(math.ceil(longest / WHY_CHARS_PER_LINE), MAX_WHY_LINES)
    return None if lines <= 1 else max(WRAP_MIN_ROW_PX, LINE_PX * lines + 10)


def _review_key() -> str:
    return f"upload-review-{st.session_state.get(_K_UPLOADER, 0)}"


def _keep(to_database: bool) -> None:
    """Button callback (runs before the page): add the reviewed events to the database or to this session."""
    ss = st.session_state
    cached = ss.get(_K_RESULT)
    if not cached:
        return
    _, result, name, sha256 = cached
    edited = None
    if result.events["needs_review"].any():
        edited = edited_table(review_table(result.events), ss.get(_review_key()))
    try:
        keep, dropped = apply_review(result.events, edited)
    except (AfgMapError, ValueError) as exc:
        ss[_K_ERROR] = f"The corrections do not fit the event schema: {common.md_text(exc)}"
        return
    placed, unplaced = split_unplaced(keep)
    if len(unplaced):
        names = ", ".join(unplaced["event_id"].astype(str).head(5))
        ss[_K_ERROR] = (
            f"{len(unplaced)} kept event(s) are not placed in Afghanistan ({common.md_text(names)}): give them a "
            "province (adm1_pcode) and coordinates inside the country, or untick them. Nothing was added."
        )
        return
    if to_database:
        who = editor.current_editor()
        if not who or editor.read_only_reason():
            ss[_K_ERROR] = "Only an editor can add events to the database: log in (sidebar)."
            return
        try:
            record = common.event_source().store().import_events(
                placed, user=who, file_name=name, sha256=sha256, fmt=result.fmt, rows_in=result.rows_in,
                rows_rejected=len(result.rejects), rows_dropped=dropped,
            )  # fmt: skip
        except AfgMapError as exc:
            ss[_K_ERROR] = f"Nothing was added: {common.md_text(exc)}"
            return
        ss[_K_MESSAGE] = f"Added to the database: {common.md_text(record.describe())}."
    else:
        previous = uploaded_events()
        ss[UPLOADED_EVENTS_KEY] = (
            placed if previous is None else pd.concat([previous, placed], ignore_index=True).drop_duplicates("event_id")
        )
        ss[_K_MESSAGE] = f"{len(placed)} events added to this session's view (not saved)."
    _clear_box()


def render_upload_box() -> None:
    """The upload box: file → parsed events + rejects → review → add to the database or to this session."""
    st.subheader("Bring in events")
    limit_mb = settings.MAX_INPUT_BYTES // (1024 * 1024)
    st.caption(
        "ACLED or UCDP GED exports, GeoJSON (our own export included), our CSV (UTF-8 or Windows-1256), or free-text "
        "reports in English or Dari, one per paragraph. Every row is checked: unusable rows are listed with the "
        f"reason, doubtful ones are marked for review. Nothing is kept until you add it. Limit {limit_mb} MB."
    )
    message = st.session_state.pop(_K_MESSAGE, None)
    if message:
        st.success(message)
    extra = uploaded_events()
    if extra is not None and len(extra):
        st.info(f"{len(extra)} uploaded events are in this session's view (not saved).")
        if st.button("Remove them from the view", key="upload-clear"):
            st.session_state.pop(UPLOADED_EVENTS_KEY, None)
            st.rerun()

    fmt = st.selectbox("Format", FORMATS, format_func=_FORMAT_LABELS.get, key="upload-format")
    upload = st.file_uploader(
        "Events file",
        type=["csv", "tsv", "txt", "geojson", "json"],
        key=f"upload-file-{st.session_state.get(_K_UPLOADER, 0)}",
        max_upload_size=limit_mb,
    )
    if upload is None:
        return
    if upload.size > settings.MAX_INPUT_BYTES:
        st.error(f"{common.md_text(upload.name)} is {upload.size:,} bytes, over the limit of {limit_mb} MB.")
        return
    data = upload.getvalue()
    try:
        result = _parse(data, upload.name, fmt)
    except Exception as exc:  # noqa: BLE001 - one line here, the details in the server log (geo.errors)
        st.error(f"This file cannot be read: {common.md_text(report_failure(exc, what=f'upload {upload.name!r}'))}")
        return

    c = result.counts
    st.markdown(
        f"**{c['rows_in']:,} rows in · {c['rows_out']:,} events · {c['rows_rejected']:,} rejected · "
        f"{c['needs_review']:,} to review** ({common.md_text(_FORMAT_LABELS.get(result.fmt, result.fmt))})"
    )
    if len(result.rejects):
        st.markdown("**Rejected rows** (why, the row number, then the original values)")
        front = ["reason", "source_row"]
        rejects = result.rejects[front + [c for c in result.rejects.columns if c not in front]]
        st.dataframe(rejects, hide_index=True, key="upload-rejects")
    if result.events.empty:
        st.warning("No usable events in this file.")
        return
    st.markdown("**Parsed events**")
    common.event_table(result.events, key="upload-events")

    if result.events["needs_review"].any():
        st.markdown(
            "**To review**: correct what is wrong, tick *Keep* for what you accept. Rows that failed a location or "
            "date check start unticked."
        )
        table = review_table(result.events)
        provinces, districts = unit_choices()
        st.data_editor(
            table,
            hide_index=True,
            key=_review_key(),
            disabled=["event_id", "review_note"],
            row_height=why_row_height(table["review_note"]),
            column_config={
                # Not pinned: a pinned column wider than a phone's screen hides the rest and cannot be scrolled.
                "review_note": st.column_config.TextColumn("Why", width=WHY_WIDTH_PX),
                "keep": st.column_config.CheckboxColumn("Keep", default=False),
                "event_id": st.column_config.TextColumn("ID"),
                "location": st.column_config.TextColumn("Place as reported"),
                # The cells keep P-codes (what the events store); the reader sees and picks names.
                "adm1_pcode": st.column_config.SelectboxColumn(
                    "Province", width="medium", options=list(provinces), format_func=provinces.get
                ),
                "adm2_pcode": st.column_config.SelectboxColumn(
                    "District", width="medium", options=list(districts), format_func=districts.get
                ),
                "actor2": st.column_config.TextColumn("Target"),
                "event_date": st.column_config.DateColumn("Date", format="YYYY-MM-DD", max_value=dt.date.today()),
                "group": st.column_config.SelectboxColumn("Group", options=list(GROUPS), required=True),
                "fatalities": st.column_config.NumberColumn("Fatalities", min_value=0, step=1, format="%d"),
                "latitude": st.column_config.NumberColumn("Latitude", min_value=29.0, max_value=39.0, format="%.5f"),
                "longitude": st.column_config.NumberColumn("Longitude", min_value=60.0, max_value=75.5, format="%.5f"),
            },
        )

    reason = editor.read_only_reason()
    who = editor.current_editor()
    error = st.session_state.pop(_K_ERROR, None)
    if error:
        st.error(error)
    add_col, session_col = st.columns(2)
    add_col.button(
        "Add to the database",
        key="upload-add",
        type="primary",
        disabled=bool(reason) or not who,
        help=reason or (None if who else "Log in as an editor (sidebar) to add events to the database."),
        on_click=_keep,
        args=(True,),
    )
    session_col.button("Show in this session only", key="upload-session", on_click=_keep, args=(False,))
    if not who and not reason:
        add_col.caption("Log in as an editor (sidebar) to add these events to the database.")
