"""Fast point-in-district assignment (geo.pointindex) on the real full-resolution districts.

Every expectation comes from the real geometry: the SOURCES.md check points, real
shared vertices of neighbouring districts, points moved off the real national
outline, and a brute-force comparison with ``geopandas.sjoin``.
"""

from __future__ import annotations

import pickle
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

from geo import settings
from geo.boundaries import load_districts, load_provinces
from geo.crs import UTM42N, WGS84
from geo.errors import InputError
from geo.join import ASSIGN_COLUMNS
from geo.pointindex import PointIndex, assign_points, build_index, default_index


@pytest.fixture(scope="module")
def districts() -> gpd.GeoDataFrame:
    return load_districts()


@pytest.fixture(scope="module")
def index() -> PointIndex:
    return default_index()


def _reference(lon: np.ndarray, lat: np.ndarray, districts: gpd.GeoDataFrame) -> pd.DataFrame:
    """The plain approach, with the documented rule applied by hand.

    ``sjoin(predicate="intersects")`` with the lowest P-code among the hits; points
    hit by nothing: ``sjoin_nearest`` in UTM 42N within OUTSIDE_SNAP_M (ties: lowest P-code).
    """
    pts = gpd.GeoDataFrame({"i": np.arange(lon.size)}, geometry=gpd.points_from_xy(lon, lat), crs=WGS84)
    pts = pts[np.isfinite(lon) & np.isfinite(lat)]
    hits = gpd.sjoin(pts, districts[["pcode", "geometry"]], predicate="intersects", how="inner")
    n_hits = hits.groupby("i")["pcode"].count()
    first = hits.sort_values(["i", "pcode"]).groupby("i")["pcode"].first()
    adm2 = pd.Series("", index=np.arange(lon.size), dtype=object)
    adm2[first.index] = first.to_numpy()
    rest = pts[~pts["i"].isin(first.index)]
    if len(rest):
        near = gpd.sjoin_nearest(
            rest.to_crs(UTM42N),
            districts[["pcode", "geometry"]].to_crs(UTM42N),
            max_distance=settings.OUTSIDE_SNAP_M,
            distance_col="d",
        )
        near["d"] = near["d"].round(3)
        best = near.sort_values(["i", "d", "pcode"]).groupby("i")["pcode"].first()
        adm2[best.index] = best.to_numpy()
    out = pd.DataFrame({"adm2_pcode": adm2})
    out["n_hits"] = n_hits.reindex(out.index).fillna(0).astype(int).to_numpy()
    return out


def test_sources_md_check_points_land_in_their_districts(index):
    # The six point-in-polygon checks listed in data/boundaries/README.md (GeoNames coordinates).
    text = (settings.LOCAL_BOUNDARIES_DIR / "README.md").read_text(encoding="utf-8")
    checks = re.findall(r"\((\d+\.\d+), (\d+\.\d+)\) → (AF\d\d) [^/]+/ (AF\d{4})", text)
    assert len(checks) == 6
    lat = [float(c[0]) for c in checks]
    lon = [float(c[1]) for c in checks]
    out = index.assign(lon, lat)
    assert out["adm1_pcode"].tolist() == [c[2] for c in checks]
    assert out["adm2_pcode"].tolist() == [c[3] for c in checks]
    assert (out["assign_note"] == "").all()
    assert list(out.columns) == list(ASSIGN_COLUMNS)


def test_shared_border_vertices_go_to_the_lowest_pcode(index, districts):
    # Real vertices of Bazarak (AF0801) that also lie on a neighbouring district.
    geoms = districts.set_index("pcode").geometry
    bazarak = geoms["AF0801"]
    vertices = shapely.points(shapely.get_coordinates(bazarak.exterior))
    covered_by = [districts["pcode"][shapely.covers(districts.geometry.to_numpy(), v)].tolist() for v in vertices]
    shared = [(v, codes) for v, codes in zip(vertices, covered_by, strict=True) if len(codes) >= 2]
    assert len(shared) > 20
    xy = shapely.get_coordinates(np.array([v for v, _ in shared]))
    out = index.assign(xy[:, 0], xy[:, 1])
    for k, (_, codes) in enumerate(shared):
        assert out.loc[k, "adm2_pcode"] == min(codes)
        assert out.loc[k, "assign_note"] == (
            f"on a shared border of {', '.join(sorted(codes))}: assigned to the lowest P-code {min(codes)}"
        )
    # Bazarak is AF0801, the lowest code in Panjsher: its vertices shared with other Panjsher districts stay in it.
    in_province = [k for k, (_, codes) in enumerate(shared) if all(c.startswith("AF08") for c in codes)]
    assert in_province and (out.loc[in_province, "adm2_pcode"] == "AF0801").all()


def test_a_vertex_shared_by_three_districts_lists_all_three(index, districts):
    coords = shapely.get_coordinates(districts.geometry.to_numpy())
    # Tripoints appear as vertices in all three rings: look for coordinates repeated in 3 districts.
    rings = [set(map(tuple, shapely.get_coordinates(g))) for g in districts.geometry]
    seen: dict[tuple, int] = {}
    for ring in rings:
        for c in ring:
            seen[c] = seen.get(c, 0) + 1
    triple = [c for c, n in seen.items() if n >= 3][:50]
    assert triple, f"no vertex shared by 3 districts among {len(coords)} coordinates"
    lon = np.array([c[0] for c in triple])
    lat = np.array([c[1] for c in triple])
    out = index.assign(lon, lat)
    ref = _reference(lon, lat, districts)
    assert out["adm2_pcode"].tolist() == ref["adm2_pcode"].tolist()
    n_listed = out["assign_note"].str.extract(r"shared border of ([^:]+):")[0].str.count(",") + 1
    assert (n_listed.to_numpy() == ref["n_hits"].to_numpy()).all()
    assert (ref["n_hits"] >= 3).all()


def test_points_just_outside_are_snapped_and_far_points_are_not(index, districts):
    # Move real vertices of the national outline outward (away from the country centroid) in UTM 42N,
    # then judge each moved point by its true distance to the country (the outline is concave).
    country = load_provinces().union_all()
    country_utm = gpd.GeoSeries([country], crs=WGS84).to_crs(UTM42N).iloc[0]
    to_utm = Transformer.from_crs(WGS84, UTM42N, always_xy=True)
    to_wgs = Transformer.from_crs(UTM42N, WGS84, always_xy=True)
    ring = shapely.get_coordinates(country.exterior)[::250]
    cx, cy = to_utm.transform(*country.centroid.coords[0])
    ux, uy = to_utm.transform(ring[:, 0], ring[:, 1])
    unit = np.stack([ux - cx, uy - cy])
    unit /= np.hypot(*unit)
    mx = np.concatenate([ux + unit[0] * m for m in (1_000.0, 4_000.0, 20_000.0)])
    my = np.concatenate([uy + unit[1] * m for m in (1_000.0, 4_000.0, 20_000.0)])
    dist = shapely.distance(country_utm, shapely.points(mx, my))
    lon, lat = to_wgs.transform(mx, my)
    out = index.assign(lon, lat)
    near = (dist > 0) & (dist < settings.OUTSIDE_SNAP_M - 50)
    far = dist > settings.OUTSIDE_SNAP_M + 50
    assert near.sum() > 20 and far.sum() > 20
    assert (out.loc[near, "adm2_pcode"] != "").all()
    assert out.loc[near, "assign_note"].str.match(r"snapped \d+ m from outside the national border").all()
    assert (out.loc[far, "adm2_pcode"] == "").all()
    assert out.loc[far, "assign_note"].str.startswith("outside Afghanistan: more than 5000 m").all()
    ref = _reference(lon, lat, districts)
    assert out["adm2_pcode"].tolist() == ref["adm2_pcode"].tolist()


def test_far_nan_and_infinite_coordinates_are_unassigned_with_a_reason(index):
    out = index.assign([51.39, np.nan, 69.2, np.inf], [35.69, 34.5, np.nan, 34.5])  # Tehran; NaN; NaN; inf
    assert (out["adm2_pcode"] == "").all() and (out["adm1_pcode"] == "").all()
    assert (
        out.loc[0, "assign_note"]
        == "outside Afghanistan: more than 5000 m from any district (lon 51.39000, lat 35.69000)"
    )
    assert (out.loc[1:, "assign_note"] == "no coordinates (NaN or missing)").all()
    assert index.locate([51.39, np.nan], [35.69, 34.5]).tolist() == [-1, -1]


def test_random_points_agree_with_geopandas_sjoin(index, districts):
    rng = np.random.default_rng(20251123)
    minx, miny, maxx, maxy = districts.total_bounds
    # Uniform over the bounding box (inside, outside and near the outline) ...
    lon = rng.uniform(minx - 0.05, maxx + 0.05, 3000)
    lat = rng.uniform(miny - 0.05, maxy + 0.05, 3000)
    # ... points exactly on the index's cell edges (where rounding would bite) ...
    s = index.stats
    edge_x = index.origin[0] + rng.integers(0, s["grid_shape"][1], 500) * index.leaf_deg
    edge_y = index.origin[1] + rng.integers(0, s["grid_shape"][0], 500) * index.leaf_deg
    # ... and real district vertices (borders), some nudged by 1e-7 degrees.
    coords = shapely.get_coordinates(districts.geometry.to_numpy())
    vert = coords[rng.integers(0, len(coords), 1000)]
    vert[500:] += rng.normal(0, 1e-7, (500, 2))
    lon = np.concatenate([lon, edge_x, rng.uniform(minx, maxx, 500), vert[:, 0]])
    lat = np.concatenate([lat, rng.uniform(miny, maxy, 500), edge_y, vert[:, 1]])
    out = index.assign(lon, lat)
    ref = _reference(lon, lat, districts)
    mismatches = int((out["adm2_pcode"].to_numpy() != ref["adm2_pcode"].to_numpy()).sum())
    assert mismatches == 0
    assert (out["assign_note"].str.startswith("on a shared border").to_numpy() == (ref["n_hits"] > 1).to_numpy()).all()
    assert (ref["n_hits"] > 1).sum() > 100  # the sample really exercised the border rule
    parent = districts.set_index("pcode")["adm1_pcode"]
    assigned = out["adm2_pcode"] != ""
    assert (out.loc[assigned, "adm1_pcode"].to_numpy() == parent[out.loc[assigned, "adm2_pcode"]].to_numpy()).all()


def test_same_frame_as_geo_join_assign_points(index, districts):
    join = pytest.importorskip("geo.join")
    rng = np.random.default_rng(7)
    minx, miny, maxx, maxy = districts.total_bounds
    coords = shapely.get_coordinates(districts.geometry.to_numpy())[::97]
    lon = np.concatenate([rng.uniform(minx - 0.1, maxx + 0.1, 2000), coords[:, 0], [np.nan]])
    lat = np.concatenate([rng.uniform(miny - 0.1, maxy + 0.1, 2000), coords[:, 1], [34.5]])
    pd.testing.assert_frame_equal(index.assign(lon, lat), join.assign_points_strtree(lon, lat, districts=districts))


def test_index_over_a_subset_and_after_pickling(districts):
    panjsher = districts[districts["adm1_pcode"] == "AF08"]
    index = build_index(panjsher, max_depth=3)
    # Bazarak town; Kabul city (far outside Panjsher); a Panjsher vertex shared with Kapisa.
    lon, lat = [69.51519, 69.17233], [35.31292, 34.52813]
    out = assign_points(lon, lat, index=index)
    assert out["adm2_pcode"].tolist() == ["AF0801", ""]
    clone = pickle.loads(pickle.dumps(index))
    pd.testing.assert_frame_equal(clone.assign(lon, lat), out)
    assert set(index.pcodes) == set(panjsher["pcode"])


def test_input_is_not_mutated_and_lengths_must_match(index):
    lon = np.array([69.51519, np.nan])
    lat = np.array([35.31292, 34.5])
    before = (lon.copy(), lat.copy())
    index.assign(lon, lat)
    np.testing.assert_array_equal(lon, before[0])
    np.testing.assert_array_equal(lat, before[1])
    with pytest.raises(InputError, match="same length, got 2 and 1"):
        index.assign(lon, lat[:1])
    with pytest.raises(InputError, match="lack column"):
        build_index(gpd.GeoDataFrame({"name": ["x"]}, geometry=[shapely.box(0, 0, 1, 1)], crs=WGS84))
