"""Data page: the filtered events (sources as links), the group statements apart, one event's details and
history (with editing for editors), likely duplicates side by side (mergeable), the upload box, the imports.

Layout only: reading and writing are :mod:`geo.store`, the review rules and wording :mod:`geo.review` and
:mod:`geo.display`, who may write :mod:`pages.editor`. Every write names the version the editor saw, so an
edit of an event someone changed meanwhile is refused (:class:`geo.errors.StaleEditError`), never merged.
"""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from geo.display import date_label, placement_label, unit_label
from geo.errors import AfgMapError
from geo.filters import headline, summarize
from geo.groups import GROUPS
from geo.review import duplicate_pairs, labelled
from geo.schema import CLAIM_STATUSES, DATE_PRECISIONS, EVENT_TYPES, GEO_PRECISION
from pages import common, editor
from pages.upload_box import render_upload_box

#: How many likely-duplicate pairs the page lays side by side.
MAX_PAIRS = 10
#: How many events the event picker lists (the most recent of the selection).
MAX_PICK = 2000
_K_NOTICE = "_data_notice"  # (kind, message) of the last write, shown once after the rerun

#: The fields of an event shown side by side and in the details, with their labels.
DETAIL_FIELDS: dict[str, str] = {
    "when": "Date",
    "group": "Group",
    "actor1": "Actor",
    "actor2": "Target",
    "event_type": "Event type",
    "sub_event_type": "Sub-type",
    "location": "Place as reported",
    "district": "District",
    "province": "Province",
    "placed": "Placement",
    "fatalities": "Reported fatalities",
    "claim_status": "Claim status",
    "source_url": "Source",
    "notes": "Notes",
    "review_note": "Review note",
}


def _notice(kind: str, message: str) -> None:
    st.session_state[_K_NOTICE] = (kind, message)


def _show_notice() -> None:
    notice = st.session_state.pop(_K_NOTICE, None)
    if notice:
        getattr(st, notice[0])(notice[1])


def _write(action, *args, done: str, **kwargs) -> None:
    """Run one store write from a button callback; keep its outcome for the next run to show."""
    try:
        action(*args, **kwargs)
        _notice("success", done)
    except AfgMapError as exc:
        _notice("error", common.md_text(exc))


def _details_frame(events: pd.DataFrame) -> pd.DataFrame:
    """One column per event, one row per field of :data:`DETAIL_FIELDS`, in the reader's wording."""
    shown = labelled(events)
    shown["fatalities"] = shown["fatalities"].astype("string").fillna("not reported")
    table = shown.set_index("event_id").reindex(columns=list(DETAIL_FIELDS)).T.astype("string").fillna("")
    table.index = list(DETAIL_FIELDS.values())
    return table


def _changes_text(changes: dict) -> str:
    parts = []
    for field, (before, after) in changes.items():
        parts.append(f"{field}: {json.dumps(before, ensure_ascii=False)} → {json.dumps(after, ensure_ascii=False)}")
    return "; ".join(parts)


def _history_panel(store, event_id: str, who: str | None, version: int) -> None:
    history = store.history(event_id)
    table = pd.DataFrame(
        {
            "version": history["version"],
            "what": history["action"],
            "when": history["at"].dt.strftime("%Y-%m-%d %H:%M UTC"),
            "who": history["user"],
            "why": history["reason"],
            "changed (before → after)": [_changes_text(c) for c in history["changes"]],
        }
    )
    st.markdown("**History** (every change, with the previous values)")
    st.dataframe(table, hide_index=True, key=f"history-{event_id}")
    if who and version > 1:
        cols = st.columns([1, 2])
        target = cols[0].selectbox("Revert to version", list(range(version - 1, 0, -1)), key=f"revert-to-{event_id}")
        cols[1].button(
            f"Revert to version {target}",
            key=f"revert-{event_id}",
            on_click=_write,
            args=(store.revert_event, event_id),
            kwargs={"to_version": target, "user": who, "done": f"{event_id} reverted to version {target}."},
        )


def _save_edit(store, event_id: str, version: int, who: str, key: str) -> None:
    ss = st.session_state
    fields = ("event_date", "date_precision", "group", "actor1", "actor2", "event_type", "location", "adm1_pcode",
              "adm2_pcode", "latitude", "longitude", "geo_precision", "fatalities", "claim_status", "source_url",
              "notes")  # fmt: skip
    changes = {}
    for field in fields:
        value = ss.get(f"{key}-{field}")
        changes[field] = "" if value is None else value
    for field in ("latitude", "longitude", "fatalities", "geo_precision"):
        if changes[field] == "":
            changes[field] = None
    _write(
        store.update_event, event_id, changes, expected_version=version, user=who,
        reason=ss.get(f"{key}-reason", ""), done=f"{event_id} saved.",
    )  # fmt: skip


def _add_source(store, event_id: str, who: str, key: str) -> None:
    ss = st.session_state
    _write(
        store.add_source, event_id, url=ss.get(f"{key}-url", "").strip(), title=ss.get(f"{key}-title", ""),
        publisher=ss.get(f"{key}-publisher", ""), published=str(ss.get(f"{key}-published") or ""),
        claim_status=ss.get(f"{key}-claim", ""), user=who, done=f"Source added to {event_id}.",
    )  # fmt: skip


def _source_form(store, event_id: str, who: str) -> None:
    """Attach another report (a media report, an official confirmation...) to the event."""
    key = f"source-{event_id}"
    with st.expander("Add a source report"), st.form(key, border=False, clear_on_submit=True):
        a, b = st.columns(2)
        a.text_input("URL", key=f"{key}-url")
        b.text_input("Title", key=f"{key}-title")
        a.text_input("Publisher", key=f"{key}-publisher")
        b.date_input("Published", value=None, key=f"{key}-published")
        a.selectbox("What it is", ["", *CLAIM_STATUSES], key=f"{key}-claim")
        st.form_submit_button("Add the source", on_click=_add_source, args=(store, event_id, who, key))


def _edit_form(store, event: dict, who: str) -> None:
    """The edit form of one event; its widgets are keyed on the version shown, which the save names."""
    event_id, version = event["event_id"], int(event["version"])
    key = f"edit-{event_id}-v{version}"
    with st.form(key, border=True):
        st.markdown(f"**Edit {common.md_text(event_id)}** (version {version})")
        a, b, c = st.columns(3)
        day = pd.Timestamp(event["event_date"]).date() if event["event_date"] else None
        a.date_input("Date", value=day, key=f"{key}-event_date")
        b.selectbox("Date precision", DATE_PRECISIONS, index=_index(DATE_PRECISIONS, event["date_precision"]),
                    key=f"{key}-date_precision")  # fmt: skip
        c.selectbox("Group", GROUPS, index=_index(GROUPS, event["group"]), key=f"{key}-group")
        a.text_input("Actor", event["actor1"], key=f"{key}-actor1")
        b.text_input("Target", event["actor2"], key=f"{key}-actor2")
        c.selectbox("Event type", EVENT_TYPES, index=_index(EVENT_TYPES, event["event_type"]),
                    key=f"{key}-event_type")  # fmt: skip
        a.text_input("Place as reported", event["location"], key=f"{key}-location")
        b.text_input("Province P-code", event["adm1_pcode"], key=f"{key}-adm1_pcode")
        c.text_input("District P-code", event["adm2_pcode"], key=f"{key}-adm2_pcode")
        a.number_input("Latitude", value=event["latitude"], format="%.5f", key=f"{key}-latitude")
        b.number_input("Longitude", value=event["longitude"], format="%.5f", key=f"{key}-longitude")
        c.selectbox("Placement", [None, *GEO_PRECISION], index=_index([None, *GEO_PRECISION], event["geo_precision"]),
                    format_func=lambda p: placement_label(p), key=f"{key}-geo_precision")  # fmt: skip
        a.number_input("Reported fatalities", value=event["fatalities"], min_value=0, step=1, key=f"{key}-fatalities")
        b.selectbox("Claim status", ["", *CLAIM_STATUSES], index=_index(["", *CLAIM_STATUSES], event["claim_status"]),
                    key=f"{key}-claim_status")  # fmt: skip
        c.text_input("Source URL", event["source_url"], key=f"{key}-source_url")
        st.text_area("Notes", event["notes"], key=f"{key}-notes")
        st.text_input("Why this change (kept in the history)", key=f"{key}-reason")
        st.form_submit_button("Save changes", type="primary", on_click=_save_edit,
                              args=(store, event_id, version, who, key))  # fmt: skip
    with st.expander(f"Delete {event_id}"):
        why = st.text_input("Why delete it (kept in the history; a revert brings it back)", key=f"{key}-del-reason")
        st.button(
            "Delete this event",
            key=f"{key}-delete",
            disabled=not why.strip(),
            on_click=_write,
            args=(store.delete_event, event_id),
            kwargs={"expected_version": version, "user": who, "reason": why, "done": f"{event_id} deleted."},
        )


def _index(options, value) -> int:
    options = list(options)
    return options.index(value) if value in options else 0


def _event_panel(events: pd.DataFrame, who: str | None) -> None:
    st.subheader("One event: details and history")
    if events.empty:
        st.caption("No event in this selection.")
        return
    recent = events.sort_values(["event_date", "event_id"], ascending=False).head(MAX_PICK)
    labels = {
        row.event_id: f"{row.event_id} · {date_label(row.event_date, row.date_precision)} · "
        f"{unit_label(row.adm1_pcode, row.admin1) or 'not placed'} · {row.group}"
        for row in recent.itertuples(index=False)
    }
    event_id = st.selectbox("Event", list(labels), format_func=labels.get, key="detail-event")
    source = common.event_source()
    row = events.loc[events["event_id"] == event_id]
    st.dataframe(_details_frame(row), key="detail-table", width="stretch")
    if not source.writable:
        st.caption("These events come from files: they have no history, and editing needs the database.")
        return
    store = source.store()
    try:
        event = store.get_event(event_id)
    except AfgMapError as exc:
        st.warning(common.md_text(exc))
        return
    sources = store.sources(event_id)
    st.markdown(f"**Source reports** ({len(sources)})")
    st.dataframe(
        sources[["url", "title", "publisher", "published", "claim_status", "first_event_id", "added_by"]],
        hide_index=True,
        key=f"sources-{event_id}",
        column_config={"url": st.column_config.LinkColumn("Report"), "first_event_id": "First filed as"},
    )
    if who:
        _source_form(store, event_id, who)
    _history_panel(store, event_id, who, int(event["version"]))
    if who:
        _edit_form(store, event, who)


def _mark_distinct(store, first: str, second: str, versions: tuple[int, int], who: str, key: str) -> None:
    _write(
        store.mark_distinct, first, second, user=who, reason=st.session_state.get(key, ""),
        expected_versions=versions, done=f"{first} and {second} marked as two different events.",
    )  # fmt: skip


def _duplicates_panel(events: pd.DataFrame, who: str | None) -> None:
    st.subheader("Likely duplicates")
    source = common.event_source()
    dismissed = source.store().distinct_pairs() if source.writable else set()
    pairs = duplicate_pairs(events, dismissed=dismissed)
    st.caption(
        "Same group, same district, dates within a day: often one attack filed from two reports. Merging keeps "
        "both reports as sources of the kept event and the stronger claim status; the other is retired with its "
        "history (a revert brings it back). Pairs an editor judged to be two different events are not shown"
        + (f" ({len(dismissed)} so far)." if dismissed else ".")
    )
    if pairs.empty:
        st.caption("None in this selection.")
        return
    if len(pairs) > MAX_PAIRS:
        st.caption(f"{len(pairs)} pairs; the first {MAX_PAIRS} are shown. Narrow the filters to see others.")
    by_id = events.set_index("event_id", drop=False)
    for i, pair in enumerate(pairs.head(MAX_PAIRS).itertuples(index=False)):
        both = by_id.loc[[pair.first, pair.second]]
        with st.container(border=True, key=f"dup-{i}"):
            st.dataframe(_details_frame(both), key=f"dup-table-{i}", width="stretch")
            if who and source.writable:
                store = source.store()
                # The versions on screen: a merge after someone changed either event is refused.
                versions = {e: int(store.get_event(e)["version"]) for e in (pair.first, pair.second)}
                left, right = st.columns(2)
                for col, keep, absorb in ((left, pair.first, pair.second), (right, pair.second, pair.first)):
                    col.button(
                        f"Merge: keep {keep}",
                        key=f"merge-{i}-{keep}",
                        on_click=_write,
                        args=(store.merge_events, keep, absorb),
                        kwargs={
                            "expected_versions": (versions[keep], versions[absorb]),
                            "user": who,
                            "done": f"{absorb} merged into {keep}.",
                        },
                    )
                # Keyed on the pair, not its place in the list: the list shifts when a pair goes.
                key = f"distinct-{pair.first}-{pair.second}"
                why = st.text_input("Why they are two different events (kept in both histories)", key=f"{key}-why")
                st.button(
                    "Not the same event",
                    key=key,
                    disabled=not why.strip(),
                    help="Keep both events and stop offering this pair for merging.",
                    on_click=_mark_distinct,
                    args=(store, pair.first, pair.second, (versions[pair.first], versions[pair.second]), who,
                          f"{key}-why"),
                )  # fmt: skip


def _imports_panel() -> None:
    source = common.event_source()
    if not source.writable:
        return
    imports = source.store().imports()
    with st.expander(f"Imports ({len(imports)})"):
        st.dataframe(imports.drop(columns=["sha256"]), hide_index=True, key="imports-table")


filters = common.page_view().filters
events = common.filtered_events()
who = editor.current_editor()

st.title("Data")
_show_notice()
st.markdown(f"**{common.md_text(headline(summarize(events, filters=filters)))}**")
st.caption(
    f"Filters: {common.md_text(filters.describe())}. Every row links to the public report it rests on. "
    # Where the events live: editors see the file or the redacted URL, visitors only the kind of store.
    f"Events from the {common.md_text(common.event_source().describe() if who else common.event_source().public_label())}."
)

common.event_table(events, key="events-table", height=min(38 + 35 * max(len(events), 1), 640))

statements = common.aggregate_statements()
st.subheader("Group statements (not counted)")
st.caption(
    "These rows are statements that bundle many attacks (for example a yearly tally). They are not single "
    "events, so they are left out of every count, map and export; they are listed here for reference."
)
if len(statements):
    common.event_table(statements, key="statements-table")
else:
    st.caption("None for these filters.")

_event_panel(events, who)
_duplicates_panel(events, who)
render_upload_box()
_imports_panel()
