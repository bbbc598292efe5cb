"""Measure the geocoder on the source events, the UCDP subset and IEC "village, district, province" strings.

Usage::

    python scripts/evaluate_geocoder.py [--json OUT] [--show-errors]

(a) ``reported_events.csv`` (the AGGREGATE rows are skipped), in two parts: DEV-001..106
(the rows earlier geocoder work was tuned on) and DEV-107..198 (added since; measured
before and after issue 11, which then tuned on them too): ``location_text`` alone (no
hints), the same for the texts written in Arabic script (Dari, Pashto, Arabic), then
``location_text_en`` where non-empty, against the curated ``province``/``district``
(AGCHO names, joined on (province, district) to P-codes).

(c) Held-out spellings: for every IEC 2019 settlement, the string
``"<village>, <IEC district spelling>, <common province name>"`` (``"Sang Zor, Farah,
Farah"``, ``"Bawzai, Nahr Saraj, Helmand"``), geocoded with a gazetteer **without** the
``iec/`` folder, so neither the village nor the IEC district spelling is in the index:
what the transliteration keys, the fuzzy matcher and the hierarchy reading do with
spellings they have never seen. Split by the polling-centre code into a ``dev`` half
(errors may be looked at) and a ``test`` half (only its numbers are read).

(b) ``ucdp_ged_afg_2001_2018_subset.csv``: the ``adm_2`` text alone against the
point-in-district of the coordinates; then the coordinates alone (through
``geocode``) against the same truth, as a check of the coordinate path.

Metrics: % provinces right (over all rows), % districts right (over rows whose
truth has a district), confident wrong answers (status ``matched`` with a wrong
province, or a wrong non-empty district), districts given where the truth has none
(``extra_districts``), counts by status, rows/s.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
import zlib
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo import settings  # noqa: E402
from geo.gazetteer import load_gazetteer  # noqa: E402
from geo.geocode import geocode  # noqa: E402
from geo.join import assign_points  # noqa: E402
from geo.schema import AGGREGATE_PREFIX  # noqa: E402


def score(out: pd.DataFrame, truth1: pd.Series, truth2: pd.Series) -> dict:
    """Compare geocoder output with true P-codes (``truth2`` may be empty strings)."""
    n = len(out)
    st = out["geocode_status"].to_numpy()
    p = out["adm1_pcode"].fillna("").to_numpy()
    d = out["adm2_pcode"].fillna("").to_numpy()
    t1 = truth1.to_numpy()
    t2 = truth2.to_numpy()
    matched = st == "matched"
    prov_ok = matched & (p == t1)
    has_d = t2 != ""
    dist_ok = matched & has_d & (d == t2)
    wrong = matched & ((p != t1) | ((d != "") & has_d & (d != t2)))
    wrong_rows = [int(i) for i in wrong.nonzero()[0]]
    return {
        "rows": n,
        "provinces_right_pct": round(100 * prov_ok.sum() / n, 1) if n else None,
        "districts_right_pct": round(100 * dist_ok.sum() / has_d.sum(), 1) if has_d.sum() else None,
        "rows_with_district": int(has_d.sum()),
        "confident_wrong": int(wrong.sum()),
        "confident_wrong_pct": round(100 * wrong.sum() / n, 2) if n else None,
        "extra_districts": int((matched & ~has_d & (d != "")).sum()),
        "status": {s: int((st == s).sum()) for s in ("matched", "ambiguous", "unresolved")},
        "_wrong_rows": wrong_rows,
    }


def reported(src: Path) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    g = load_gazetteer()
    df = pd.read_csv(src / "reported_events.csv", dtype=str, keep_default_na=False)
    df = df[~df["notes"].str.startswith(AGGREGATE_PREFIX)].reset_index(drop=True)
    by_name = {u.name: p for p, u in g.provinces.items()}
    by_pair = {(u.parent, u.name): p for p, u in g.districts.items()}
    t1 = df["province"].map(lambda x: by_name.get(x, ""))
    t2 = pd.Series([by_pair.get((a, b), "") if b else "" for a, b in zip(t1, df["district"], strict=False)])
    unknown = [(a, b) for a, b, c in zip(df["province"], df["district"], t2, strict=False) if b and not c]
    if unknown:
        raise SystemExit(f"curated names not in the gazetteer: {unknown}")
    return df, t1, t2


#: A text written (at least partly) in Arabic script: Dari, Pashto or Arabic.
ARABIC_SCRIPT = "[\u0600-\u06ff]"


def split_reported(df: pd.DataFrame) -> pd.Series:
    """True for DEV-107..198 (added since the earlier geocoder work), False for DEV-001..106."""
    return df["event_id"].str.extract(r"(\d+)$")[0].astype(int) >= 107


def iec_strings(
    gazetteer: Path, *, half: str | None = None, every: int = 1
) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """``"<village>, <IEC district spelling>, <province>"`` for the IEC settlements, with their true P-codes.

    ``half`` ``"dev"`` or ``"test"`` keeps one half (split on a CRC of the polling-centre
    code, so it is stable); ``every`` keeps every n-th row (for a quick regression test).
    """
    iec = gazetteer / settings.IEC_DIR_NAME / settings.IEC_SETTLEMENTS_FILE
    df = pd.read_csv(iec, dtype=str, keep_default_na=False)
    variants = pd.read_csv(gazetteer / settings.PROVINCE_VARIANTS_FILE, dtype=str, keep_default_na=False)
    common = dict(zip(variants["adm1_pcode"], variants["common_name_en"], strict=True))
    if half is not None:
        test = df["pc_code"].map(lambda c: zlib.crc32(c.encode()) % 2 == 1)
        df = df[test if half == "test" else ~test]
    df = df.iloc[::every].reset_index(drop=True)
    district = df["iec_district_en"].str.title()
    df = df.assign(text=df["place_en"].str.strip() + ", " + district + ", " + df["adm1_pcode"].map(common))
    return df, df["adm1_pcode"], df["adm2_pcode"]


@contextlib.contextmanager
def gazetteer_without_iec(gazetteer: Path):
    """Point ``$AFGMAP_GAZETTEER`` at a copy of ``gazetteer`` without its ``iec/`` folder (a held-out index)."""
    from geo.geocode import _cached

    old = os.environ.get(settings.GAZETTEER_ENV)
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "gazetteer"
        shutil.copytree(gazetteer, copy, ignore=shutil.ignore_patterns(settings.IEC_DIR_NAME))
        os.environ[settings.GAZETTEER_ENV] = str(copy)
        _cached.cache_clear()
        try:
            yield copy
        finally:
            if old is None:
                os.environ.pop(settings.GAZETTEER_ENV, None)
            else:
                os.environ[settings.GAZETTEER_ENV] = old
            _cached.cache_clear()


def ucdp(src: Path) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    df = pd.read_csv(src / "ucdp_ged_afg_2001_2018_subset.csv", dtype={"adm_2": str}, keep_default_na=False)
    pts = assign_points(df["longitude"].astype(float), df["latitude"].astype(float))
    return df, pts["adm1_pcode"], pts["adm2_pcode"]


def run(label: str, frame: pd.DataFrame, t1, t2, **kw) -> dict:
    t0 = time.perf_counter()
    out = geocode(frame, **kw)
    dt = time.perf_counter() - t0
    res = score(out, t1.reset_index(drop=True), t2.reset_index(drop=True))
    res["label"] = label
    res["seconds"] = round(dt, 3)
    res["_out"] = out
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", type=Path, help="write the metrics as JSON to this file")
    ap.add_argument("--show-errors", action="store_true", help="print the confident wrong rows")
    args = ap.parse_args(argv)
    src = settings.source_events_dir()

    results = []
    rep, r1, r2 = reported(src)
    new = split_reported(rep)
    for part, rows in (("DEV-001..106", ~new), ("DEV-107..198", new)):
        results.append(
            run(
                f"reported {part}: text",
                rep[rows].reset_index(drop=True),
                r1[rows],
                r2[rows],
                text_column="location_text",
            )
        )
        dari = rows & rep["location_text"].str.contains(ARABIC_SCRIPT)
        results.append(
            run(
                f"reported {part}: text, Arabic script",
                rep[dari].reset_index(drop=True),
                r1[dari],
                r2[dari],
                text_column="location_text",
            )
        )
        en = rows & (rep["location_text_en"] != "")
        results.append(
            run(
                f"reported {part}: English",
                rep[en].reset_index(drop=True),
                r1[en],
                r2[en],
                text_column="location_text_en",
            )
        )
    u, u1, u2 = ucdp(src)
    with_name = u["adm_2"].str.strip() != ""
    results.append(
        run(
            "UCDP: adm_2 text vs point",
            u[with_name].reset_index(drop=True),
            u1[with_name],
            u2[with_name],
            text_column="adm_2",
        )
    )
    results.append(
        run(
            "UCDP: coordinates only",
            u.assign(_empty=""),
            u1,
            u2,
            text_column="_empty",
            lat_column="latitude",
            lon_column="longitude",
        )
    )
    flagged = run(
        "UCDP: adm_2 + coordinates", u, u1, u2, text_column="adm_2", lat_column="latitude", lon_column="longitude"
    )
    n_flag = int(flagged["_out"]["geocode_note"].str.contains("FLAG").sum())

    gaz = settings.gazetteer_dir()
    if (gaz / settings.IEC_DIR_NAME / settings.IEC_SETTLEMENTS_FILE).is_file():
        halves = {h: iec_strings(gaz, half=h) for h in ("dev", "test")}
        with gazetteer_without_iec(gaz):
            for h, (df, t1, t2) in halves.items():
                results.append(run(f"IEC held-out spellings ({h})", df, t1, t2, text_column="text"))

    # Speed: the reported texts repeated to 20,000 rows (fresh cache for the first pass).
    big = pd.concat([rep] * (20_000 // len(rep) + 1), ignore_index=True).iloc[:20_000]
    from geo.geocode import _cached

    _cached.cache_clear()
    t0 = time.perf_counter()
    geocode(big, text_column="location_text")
    speed = round(len(big) / (time.perf_counter() - t0))

    head = f"{'set':42} {'rows':>5} {'prov%':>6} {'dist%':>6} {'(n)':>5} {'wrong':>5} {'extra':>5}  matched/ambiguous/unresolved"
    print(head)
    print("-" * len(head))
    for r in results:
        s = r["status"]
        print(
            f"{r['label']:42} {r['rows']:>5} {r['provinces_right_pct']!s:>6} {r['districts_right_pct']!s:>6} "
            f"{r['rows_with_district']:>5} {r['confident_wrong']:>5} {r['extra_districts']:>5}  "
            f"{s['matched']}/{s['ambiguous']}/{s['unresolved']}"
        )
    print(f"\nUCDP rows where the adm_2 text disagrees with the coordinates (flagged): {n_flag} of {len(u)}")
    print(f"speed: {speed} rows/s on 20,000 rows of repeated reported place texts")
    if args.show_errors:
        for r in results:
            if "(test)" in r["label"]:
                continue  # the held-out half: its numbers only
            for i in r["_wrong_rows"]:
                o = r["_out"].iloc[i]
                print(
                    f"WRONG [{r['label']}] row {i}: {o.get('location_text', o.get('adm_2', o.get('text', '')))!r} -> "
                    f"{o['adm1_pcode']} {o['adm2_pcode']} ({o['geocode_note']})"
                )
    if args.json:
        payload = {
            "results": [{k: v for k, v in r.items() if not k.startswith("_")} for r in results],
            "ucdp_flagged_disagreements": n_flag,
            "rows_per_second_repeated": speed,
        }
        args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
