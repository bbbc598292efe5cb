"""The Data page's upload box: bring events in, see them and their rejects, review, add or save.

UI only: the reading, validation and geocoding are :func:`geo.ingest.ingest`.
Nothing is kept until the user says so:

1. the parsed events and the rejects (with reasons) are shown;
2. events marked ``needs_review`` are listed in an editor, where they can be
   corrected or dropped (untick "keep");
3. "Add to this session's view" puts them in ``st.session_state[UPLOADED_EVENTS_KEY]``,
   which :func:`pages.common.all_events` adds to the bundled events for this session only;
4. "Save to data/events/" writes them to a new CSV there, atomically, never over an
   existing file.

Every text from the upload is shown through ``st.dataframe``/``st.data_editor``
(which never render HTML) or escaped with :func:`pages.common.md_text`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

import pandas as pd
import streamlit as st

from geo import settings
from geo.errors import AfgMapError, report_failure
from geo.export import neutralize_formulas
from geo.groups import GROUPS
from geo.ingest import FORMATS, IngestResult, ingest
from geo.schema import validate_events
from geo.tables import write_csv_atomic
from pages import common

#: Session key holding the events the user added to this session's view (a DataFrame in the schema,
#: as :func:`geo.events.load_events` returns it, plus ``needs_review``/``review_note``).
UPLOADED_EVENTS_KEY = common.UPLOADED_EVENTS_KEY

_K_RESULT = "_upload_result"  # (content key, IngestResult) of the last parsed upload
_K_MESSAGE = "_upload_message"

#: Columns shown (and editable) in the review editor.
REVIEW_COLUMNS = (
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
    "review_note",
)

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


def _parse(data: bytes, name: str, fmt: str) -> IngestResult:
    """Ingest once per distinct upload (a rerun must not geocode again)."""
    known = tuple(common.all_events()["event_id"])
    key = (hashlib.sha1(data).hexdigest(), name, fmt, len(known))
    cached = st.session_state.get(_K_RESULT)
    if cached and cached[0] == key:
        return cached[1]
    with st.spinner("Reading, checking and geocoding…"):
        result = ingest(data, fmt=fmt, name=name, known_ids=known)
    st.session_state[_K_RESULT] = (key, result)
    return result


def _reviewed(result: IngestResult, edited: pd.DataFrame | None) -> pd.DataFrame:
    """The events to keep: edits applied, dropped rows removed, reviewed rows no longer flagged."""
    events = result.events.copy()
    if edited is None or edited.empty:
        return events
    keep_ids = set(edited.loc[edited["keep"].astype(bool), "event_id"])
    drop = events["needs_review"] & ~events["event_id"].isin(keep_ids)
    edits = edited.set_index("event_id")
    events = events.set_index("event_id", drop=False)
    for col in REVIEW_COLUMNS:
        if col in ("keep", "event_id", "review_note"):
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
    return checked.reset_index(drop=True)


def save_dir() -> Path:
    """Where saved uploads go: the folder the app reads events from (``$AFGMAP_EVENTS`` when it is a folder),
    else ``data/events/``."""
    loaded = settings.events_path()
    return loaded if loaded.is_dir() else settings.LOCAL_EVENTS_DIR


def _save_path(name: str) -> Path:
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", name.rsplit(".", 1)[0]).strip("_")[:40] or "upload"
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    base = save_dir() / f"uploaded_{stem}_{stamp}.csv"
    path, n = base, 1
    while path.exists():  # never overwrite anything (the bundled file included)
        n += 1
        path = base.with_name(f"{base.stem}_{n}.csv")
    return path


def render_upload_box() -> None:
    """The upload box: file → parsed events + rejects → review → add to the view or save."""
    st.subheader("Bring in events")
    limit_mb = settings.MAX_INPUT_BYTES // (1024 * 1024)
    st.caption(
        "ACLED or UCDP GED exports, GeoJSON (our own export included), our CSV (UTF-8 or Windows-1256), or free-text "
        "reports in English or Dari, one per paragraph. Every row is checked: unusable rows are listed with the "
        f"reason, doubtful ones are marked for review. Nothing is kept until you add or save it. Limit {limit_mb} MB."
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
        "Events file", type=["csv", "tsv", "txt", "geojson", "json"], key="upload-file", max_upload_size=limit_mb
    )
    if upload is None:
        return
    if upload.size > settings.MAX_INPUT_BYTES:
        st.error(f"{common.md_text(upload.name)} is {upload.size:,} bytes, over the limit of {limit_mb} MB.")
        return
    try:
        result = _parse(upload.getvalue(), upload.name, fmt)
    except Exception as exc:  # noqa: BLE001 - one line here, the details in the server log (geo.errors)
        st.error(f"This file cannot be read: {common.md_text(report_failure(exc, what=f'upload {upload.name!r}'))}")
        return

    c = result.counts
    st.markdown(
        f"**{c['rows_in']:,} rows in · {c['rows_out']:,} events · {c['rows_rejected']:,} rejected · "
        f"{c['needs_review']:,} to review** ({common.md_text(_FORMAT_LABELS.get(result.fmt, result.fmt))})"
    )
    if len(result.rejects):
        st.markdown("**Rejected rows** (original values, the row number and why)")
        front = ["source_row", "reason"]
        rejects = result.rejects[front + [c for c in result.rejects.columns if c not in front]]
        st.dataframe(rejects, hide_index=True, key="upload-rejects")
    if result.events.empty:
        st.warning("No usable events in this file.")
        return
    st.markdown("**Parsed events**")
    common.event_table(result.events, key="upload-events")

    edited = None
    review = result.events[result.events["needs_review"]]
    if len(review):
        st.markdown("**To review**: correct what is wrong, untick *keep* to drop an event.")
        table = review.assign(keep=True)[list(REVIEW_COLUMNS)].copy()
        table["event_date"] = table["event_date"].dt.date
        edited = st.data_editor(
            table,
            hide_index=True,
            key="upload-review",
            disabled=["event_id", "review_note"],
            column_config={
                "keep": st.column_config.CheckboxColumn("Keep", default=True),
                "event_date": st.column_config.DateColumn("Date", format="YYYY-MM-DD", max_value=dt.date.today()),
                "group": st.column_config.SelectboxColumn("Group", options=list(GROUPS), required=True),
                "fatalities": st.column_config.NumberColumn("Fatalities", min_value=0, step=1, format="%d"),
                "latitude": st.column_config.NumberColumn("Latitude", min_value=29.0, max_value=39.0, format="%.5f"),
                "longitude": st.column_config.NumberColumn("Longitude", min_value=60.0, max_value=75.5, format="%.5f"),
                "review_note": st.column_config.TextColumn("Why", width="large"),
            },
        )

    add_col, save_col = st.columns(2)
    add = add_col.button("Add to this session's view", key="upload-add", type="primary")
    save = save_col.button(f"Save to {save_dir().name}/ as a new file", key="upload-save")
    if not (add or save):
        return
    try:
        keep = _reviewed(result, edited)
    except (AfgMapError, ValueError) as exc:
        st.error(f"The corrections do not fit the event schema: {common.md_text(exc)}")
        return
    if add:
        previous = uploaded_events()
        st.session_state[UPLOADED_EVENTS_KEY] = (
            keep if previous is None else pd.concat([previous, keep], ignore_index=True).drop_duplicates("event_id")
        )
        st.session_state[_K_MESSAGE] = f"{len(keep)} events added to this session's view."
    else:
        path = _save_path(upload.name)
        out = keep.copy()
        out["event_date"] = out["event_date"].dt.strftime("%Y-%m-%d")
        try:
            write_csv_atomic(neutralize_formulas(out), path)
        except OSError as exc:
            st.error(f"Could not save: {common.md_text(exc)}")
            return
        # Saved events now load with the others; the session copy would repeat them.
        st.session_state.pop(UPLOADED_EVENTS_KEY, None)
        where = (
            "" if settings.events_path().is_dir() else f" (the app reads {settings.events_path()}, so they do not show)"
        )
        st.session_state[_K_MESSAGE] = f"{len(keep)} events saved to {common.md_text(path)}{common.md_text(where)}."
    st.session_state.pop(_K_RESULT, None)
    st.rerun()
