"""About page: what the app does, the method, the data sources, licences and attribution."""

from __future__ import annotations

import streamlit as st

from geo.display import date_label, placement_label, unit_label
from geo.groups import GROUP_COLORS, GROUP_LABELS
from geo.schema import CLAIM_STATUSES, GEO_PRECISION, PRECISION_DISTRICT, PRECISION_PLACE, PRECISION_PROVINCE
from geo.settings import ATTRIBUTION, OUTSIDE_SNAP_M
from geo.spread import west_caveat
from pages import common

common.page_view()
everything = common.all_events()
single = everything.loc[~everything["is_aggregate"].astype(bool).to_numpy()]
dates = single["event_date"].dropna()

st.title("About")

st.markdown(
    """
**Afghanistan Resistance Map** turns public reports of attacks on the Taliban (by the National Resistance
Front, the Afghanistan Freedom Front, ISKP and smaller fronts) into geocoded events, shows them on an
interactive map and exports them as GeoJSON or CSV. The filters in the sidebar apply to every page, and the
address bar always holds the current view, so a view can be shared as a link.
"""
)

st.header("Method")
st.markdown(
    f"""
- **One row, one report.** Every event rests on one public report, linked in its *Source*. The place is
  recorded as the report prints it (in Dari, Pashto, Arabic or English) and then geocoded.
- **Geocoding.** Place names are matched against the official province and district names (OCHA/AGCHO 2018,
  34 provinces and 399 districts) and the GeoNames gazetteer; coordinates, when a report gives them, are
  placed in a district by a point-in-polygon join. Names that exist in several provinces are resolved with
  the province the report names, or kept as *ambiguous* rather than guessed.
- **Precision is part of the data** (`geo_precision`, as in ACLED):
  {", ".join(f"{code} = {label}" for code, label in GEO_PRECISION.items())}. Events known only to province level
  ({PRECISION_PROVINCE}) are never drawn as if they happened at the provincial capital: the map shades their
  province instead, and they count toward provinces, not districts. *Exact places only* keeps precisions 1
  and {PRECISION_DISTRICT}.
- **Borders.** A point that lies exactly on a border between two districts is assigned by an explicit,
  counted tie-break, and a point just outside the national outline (GPS noise, rounded coordinates) is
  snapped to the nearest district within {OUTSIDE_SNAP_M / 1000:g} km; farther out it stays unplaced and is counted as such.
- **Dates and places say how precise they are.** A date known only to the month reads
  "{date_label("2024-03-01", "month")}", one known to the week "{date_label("2024-09-02", "week")}", and a day
  "{date_label("2024-09-03", "day")}". What a point stands for is said with it: "{placement_label(PRECISION_PLACE)}",
  "{placement_label(PRECISION_DISTRICT)}" (the report names a district, not the spot), or
  "{placement_label(PRECISION_PROVINCE)}". Provinces and districts carry the name the press uses with the official
  (OCHA) one where they differ: "{unit_label("AF32", "Hirat")}", "{unit_label("AF08", "Panjsher")}".
- **Claims are not verified counts.** Claim status is one of {", ".join(CLAIM_STATUSES)}. Most events repeat
  a group's own statement, and the fatalities are the figures reported, usually the claiming group's. The
  Taliban often deny such claims, and ISKP inflates its figures.
- **Group statements** that bundle many attacks (a yearly tally, for example) are kept in the data for
  reference, listed apart on the Data page, and left out of every count, map and export.
"""
)

st.header("Groups")
st.markdown(
    "\n".join(
        f"- <span style='color:{GROUP_COLORS[g]}'>&#9679;</span> **{g}**: {label}" for g, label in GROUP_LABELS.items()
    ),
    unsafe_allow_html=True,  # only our own constants: colours and labels from geo.groups
)

st.header("Caveats")
span = f"{date_label(dates.min())} to {date_label(dates.max())}" if len(dates) else "no dated events"
st.markdown(
    f"""
- **This is a sample, not a census.** The loaded data holds {len(single):,} single events ({span}) against
  several hundred claimed attacks a year. Counts by province and year reflect the reporting that could be
  collected, not the real intensity of the conflict.
- **Kabul and the north-east are over-represented; the west is under-represented.**
  {common.md_text(west_caveat(everything, subject="The loaded data"))} Farah and Badghis appear in the bundled data only in NRF statements
  that bundle many attacks, never as single events.
- **Independent tallies are far below the groups' claims** (UN Secretary-General reports, UNAMA, Afghan Witness).
- **Mixed event kinds.** Some rows are Taliban raids against a group or territorial claims rather than the
  group's own attacks; filter on event type, and read the notes.
- **Disputed attributions** are flagged in the notes of each event.
"""
)

st.header("Data sources and licences")
st.markdown(
    """
| data | source | licence |
|---|---|---|
| Province and district boundaries | AGCHO / OCHA, Common Operational Dataset (COD-AB), 2018 edition, via HDX | CC BY-IGO (OCHA CODs); the metadata adds "strictly for humanitarian purposes" |
| Place names (gazetteer) | GeoNames (geonames.org), `cities500` | CC BY 4.0 |
| Events | compiled from public reporting; each event links to its source | facts; the compilation is intended for an open licence (CC BY 4.0) |
| Historical events, where used | UCDP Georeferenced Event Dataset (Sundberg & Melander 2013) | CC BY 4.0 |
| Basemap (optional) | © OpenStreetMap contributors | ODbL |
| Event-type labels | ACLED vocabulary, labels only; no ACLED data is included | |

The map's scripts and stylesheets (Leaflet and its plugins) are served by this app itself, so the map works
without the internet when the basemap is off, and no third-party server learns which pages are opened.
"""
)

st.header("Attribution")
st.markdown(common.md_text(ATTRIBUTION))
st.caption("Exports carry the same attribution, the filters used and the export time.")
