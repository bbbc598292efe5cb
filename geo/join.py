"""Points to districts: a vectorised point-in-polygon join with an explicit border rule.

The join runs on the FULL-resolution OCHA/AGCHO 2018 districts (the simplified
display copies move borders by up to ~100 m). It uses the spatial index of the
districts (shapely 2 STRtree, via ``GeoDataFrame.sindex``) with the
``intersects`` predicate, so a point lying exactly on a border is *not* dropped
(``within``/``contains`` would drop it).

Border rule (:data:`BORDER_RULE`)
---------------------------------
1. A point covered by exactly one district goes to that district.
2. A point covered by several districts (on a shared edge or vertex) goes to
   the district with the **lowest P-code**; the note says which districts touched it.
3. A point covered by none but within :data:`geo.settings.OUTSIDE_SNAP_M`
   metres of the national outline goes to the **nearest** district (distance
   measured in UTM 42N); the note says "snapped N m from outside the national border".
4. Farther out, or NaN / non-finite coordinates: no P-code, and a note saying why.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import settings
from geo.boundaries import load_districts
from geo.crs import TO_UTM42N, UTM42N

#: The tie-break and snapping rule, in one sentence (shown in docs and notes).
BORDER_RULE = (
    "a point on a shared border goes to the lowest P-code among the districts it touches; "
    f"a point outside the country but within {settings.OUTSIDE_SNAP_M:.0f} m goes to the nearest district; "
    "farther out it is left unassigned"
)

#: Output columns of :func:`assign_points`.
ASSIGN_COLUMNS = ("adm1_pcode", "adm2_pcode", "assign_note")


def assign_points(lon, lat, *, districts: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    """Assign each (lon, lat) point to a district and province, following :data:`BORDER_RULE`.

    Answered by the grid index of :mod:`geo.pointindex` (tens of times faster
    than a spatial join; built once per process, ~1 s); the result is the same
    frame as :func:`assign_points_strtree`, the plain spatial-index
    implementation kept as the independent reference the tests compare with.

    Parameters
    ----------
    lon, lat : array-like of float
        Longitudes and latitudes (WGS84), same length. NaN is allowed.
    districts : geopandas.GeoDataFrame, optional
        Districts with ``pcode``, ``adm1_pcode`` and polygon geometry in WGS84;
        default: :func:`geo.boundaries.load_districts` (full resolution).

    Returns
    -------
    pandas.DataFrame
        One row per input point, in input order (index ``0..n-1``), with columns
        ``adm1_pcode, adm2_pcode, assign_note``.

    Examples
    --------
    >>> out = assign_points([69.51519, 51.39], [35.31292, 35.69])  # Bazarak; Tehran
    >>> out["adm2_pcode"].tolist()
    ['AF0801', '']
    """
    from geo.pointindex import assign_points as assign_with_index

    return assign_with_index(lon, lat, districts=districts)


def assign_points_strtree(lon, lat, *, districts: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    """Reference implementation of :func:`assign_points`: an STRtree query per call, vectorised.

    Same parameters and the same result frame as :func:`assign_points`, computed
    independently (the districts' spatial index with the ``intersects``
    predicate), so the tests can compare the fast path with it.

    Examples
    --------
    >>> out = assign_points_strtree([69.51519, 51.39], [35.31292, 35.69])  # Bazarak; Tehran
    >>> out["adm2_pcode"].tolist()
    ['AF0801', '']
    """
    lon_a = np.asarray(lon, dtype="float64").ravel()
    lat_a = np.asarray(lat, dtype="float64").ravel()
    if lon_a.shape != lat_a.shape:
        from geo.errors import InputError

        raise InputError(f"lon and lat must have the same length, got {lon_a.size} and {lat_a.size}", field="lon")
    if districts is None:
        districts = _default_districts()
    n = lon_a.size
    adm2 = np.full(n, "", dtype=object)
    adm1 = np.full(n, "", dtype=object)
    note = np.full(n, "", dtype=object)

    finite = np.isfinite(lon_a) & np.isfinite(lat_a)
    note[~finite] = "no coordinates (NaN or missing)"
    idx = np.flatnonzero(finite)
    if idx.size == 0:
        return _frame(adm1, adm2, note)

    pcodes = districts["pcode"].to_numpy(dtype=object)
    parents = districts["adm1_pcode"].to_numpy(dtype=object)
    points = shapely.points(lon_a[idx], lat_a[idx])
    hit_pt, hit_poly = districts.sindex.query(points, predicate="intersects")

    # Lowest P-code wins: sort hits by (point, pcode) and keep the first per point.
    order = np.lexsort((pcodes[hit_poly].astype(str), hit_pt))
    hit_pt, hit_poly = hit_pt[order], hit_poly[order]
    first = np.ones(hit_pt.size, dtype=bool)
    first[1:] = hit_pt[1:] != hit_pt[:-1]
    counts = np.bincount(hit_pt, minlength=idx.size)
    for k in np.flatnonzero(first):
        i = idx[hit_pt[k]]
        adm2[i] = pcodes[hit_poly[k]]
        adm1[i] = parents[hit_poly[k]]
        c = counts[hit_pt[k]]
        if c > 1:
            touched = ", ".join(str(pcodes[p]) for p in hit_poly[k : k + c])
            note[i] = f"on a shared border of {touched}: assigned to the lowest P-code {adm2[i]}"

    missed = idx[counts == 0]
    if missed.size:
        _snap(missed, lon_a, lat_a, districts, adm1, adm2, note)
    return _frame(adm1, adm2, note)


def _snap(missed, lon_a, lat_a, districts, adm1, adm2, note) -> None:
    """Nearest district within OUTSIDE_SNAP_M metres (UTM 42N), else a note."""
    geoms_utm = _districts_utm(districts)
    x, y = TO_UTM42N.transform(lon_a[missed], lat_a[missed])
    pts = shapely.points(x, y)
    tree = shapely.STRtree(geoms_utm)
    (pt_i, poly_i), dist = tree.query_nearest(
        pts, max_distance=settings.OUTSIDE_SNAP_M, return_distance=True, all_matches=True
    )
    pcodes = districts["pcode"].to_numpy(dtype=object)
    parents = districts["adm1_pcode"].to_numpy(dtype=object)
    best: dict[int, tuple[float, str, int]] = {}
    for p, q, d in zip(pt_i, poly_i, dist, strict=False):
        cand = (round(float(d), 3), str(pcodes[q]), int(q))
        if p not in best or cand < best[p]:
            best[p] = cand
    for k, i in enumerate(missed):
        if k in best and math.isfinite(best[k][0]):
            d, code, q = best[k]
            adm2[i] = code
            adm1[i] = parents[q]
            note[i] = f"snapped {d:.0f} m from outside the national border to the nearest district {code}"
        else:
            note[i] = (
                f"outside Afghanistan: more than {settings.OUTSIDE_SNAP_M:.0f} m from any district "
                f"(lon {lon_a[i]:.5f}, lat {lat_a[i]:.5f})"
            )


_UTM_CACHE: list[tuple[gpd.GeoDataFrame, np.ndarray]] = []


def _districts_utm(districts: gpd.GeoDataFrame) -> np.ndarray:
    # Keep the frame itself (not its id) so a recycled id cannot return stale geometry.
    if not _UTM_CACHE or _UTM_CACHE[0][0] is not districts:
        _UTM_CACHE[:] = [(districts, districts.to_crs(UTM42N).geometry.to_numpy())]
    return _UTM_CACHE[0][1]


_DEFAULT: list[gpd.GeoDataFrame] = []


def _default_districts() -> gpd.GeoDataFrame:
    # One copy per process: load_districts() returns a fresh copy each call, and
    # rebuilding the spatial index for every batch would dominate the cost.
    if not _DEFAULT:
        _DEFAULT.append(load_districts())
    return _DEFAULT[0]


def _frame(adm1, adm2, note) -> pd.DataFrame:
    return pd.DataFrame({"adm1_pcode": adm1, "adm2_pcode": adm2, "assign_note": note})
