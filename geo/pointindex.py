"""Fast points-to-districts assignment: a quadtree grid over the full-resolution districts.

:func:`geo.join.assign_points` asks the spatial index a point-in-polygon
question for every point. Most of Afghanistan is far from any district border,
so this module answers most points with one array lookup instead:

1. **Build** (once per process, ~1-2 s): the country's bounding box is cut into
   0.25 degree cells. A cell that intersects exactly one district, which covers
   all of it, is *pure*: every point in it belongs to that district. A cell that
   intersects no district is *outside*. Any other cell is split in four, down to
   :data:`MAX_DEPTH` levels (cells of 0.0078 degrees, ~800 m); the cells left at
   the last level keep the short list of districts that intersect them. The
   result is flattened into one ``int32`` grid at the finest level plus a
   candidate list per border cell. Cell boxes are padded by :data:`PAD_DEG` so
   that rounding when a point is put in a cell can never change the answer.
2. **Query** (vectorised with numpy): pure cells answer directly; points in
   border cells are tested against their few candidates with
   ``shapely.intersects_xy`` on prepared polygons; points in outside cells, or in
   no candidate, go to the snapping step.

The rule is exactly the one of :data:`geo.join.BORDER_RULE`, with the same notes,
so ``geo.join.assign_points`` can delegate to :func:`assign_points` here:

- a point covered by several districts (a shared edge or vertex; ``intersects``,
  never ``within``) goes to the **lowest P-code**;
- a point covered by none but within :data:`geo.settings.OUTSIDE_SNAP_M` metres
  (UTM 42N) of a district goes to the **nearest** one (ties: lowest P-code);
- farther out, or NaN coordinates: unassigned, with a note saying why.

Examples
--------
>>> index = default_index()
>>> index.assign([69.51519, 51.39], [35.31292, 35.69])["adm2_pcode"].tolist()  # Bazarak; Tehran
['AF0801', '']
"""

from __future__ import annotations

import functools
import math
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import settings
from geo.boundaries import find_boundaries_dir, load_districts
from geo.crs import TO_UTM42N, UTM42N, WGS84
from geo.errors import InputError

#: Size of the top-level cells, in degrees.
BASE_CELL_DEG = 0.25

#: Levels of splitting below the top cells: 0.25 / 2**5 = 0.0078125 degrees (~800 m).
MAX_DEPTH = 5

#: Padding of every cell box (degrees, ~0.1 mm): a point put in a neighbouring
#: cell by floating-point rounding still lies inside the padded box.
PAD_DEG = 1e-9


#: Grid codes: ``>= 0`` a district row, ``OUTSIDE``, ``<= BORDER0`` border cell number ``BORDER0 - code``.
OUTSIDE = -1
BORDER0 = -2


class PointIndex:
    """A point-in-district index over one set of districts. Build with :func:`build_index`.

    Attributes
    ----------
    pcodes, parents : numpy.ndarray of str
        District P-codes (sorted) and their province P-codes; row ``i`` of the
        grid means ``pcodes[i]``.
    stats : dict
        Build figures: ``build_s``, ``grid_shape``, ``leaf_deg``, ``pure_share``
        (share of the bounding box answered without a polygon test),
        ``border_cells``, ``mean_candidates``.
    """

    def __init__(self, *, geoms, pcodes, parents, grid, origin, leaf_deg, cand_ptr, cand_idx, stats):
        self.geoms = geoms
        self.pcodes = pcodes
        self.parents = parents
        self.grid = grid
        self.origin = origin
        self.leaf_deg = leaf_deg
        self.cand_ptr = cand_ptr
        self.cand_idx = cand_idx
        self.stats = stats
        shapely.prepare(self.geoms)
        self._snap_tree = None

    def __getstate__(self):
        # Prepared geometries and the snapping tree are rebuilt where the index is unpickled (dask workers).
        state = self.__dict__.copy()
        state["_snap_tree"] = None
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        shapely.prepare(self.geoms)

    def __repr__(self) -> str:
        s = self.stats
        return (
            f"PointIndex({len(self.pcodes)} districts, grid {s['grid_shape']}, "
            f"{s['border_cells']} border cells, built in {s['build_s']:.2f} s)"
        )

    # -- queries ---------------------------------------------------------------------------------

    def locate(self, lon, lat) -> np.ndarray:
        """District row for each point (``-1``: unassigned), applying the border and snapping rule.

        The fast path of :meth:`assign` without the notes. ``self.pcodes[rows]``
        gives the P-codes.

        Examples
        --------
        >>> index = default_index()
        >>> index.pcodes[index.locate([69.17233], [34.52813])].tolist()  # Kabul
        ['AF0101']
        """
        x, y = _coords(lon, lat)
        best, _, _ = self._cover(x, y)
        missed = np.flatnonzero((best < 0) & np.isfinite(x) & np.isfinite(y))
        if missed.size:
            rows, _ = self._snap(x[missed], y[missed])
            best[missed] = rows
        return best

    def assign(self, lon, lat) -> pd.DataFrame:
        """Assign each (lon, lat) point to a district and province.

        Parameters
        ----------
        lon, lat : array-like of float
            Longitudes and latitudes (WGS84), same length; NaN allowed.

        Returns
        -------
        pandas.DataFrame
            Index ``0..n-1``, columns ``adm1_pcode, adm2_pcode, assign_note``:
            the same frame as :func:`geo.join.assign_points` (``""`` when
            unassigned; the note is ``""`` for a plain single-district hit).

        Examples
        --------
        >>> out = default_index().assign([69.51519], [35.31292])
        >>> out.loc[0, "adm1_pcode"], out.loc[0, "adm2_pcode"], out.loc[0, "assign_note"]
        ('AF08', 'AF0801', '')
        """
        x, y = _coords(lon, lat)
        n = x.size
        best, hit_pt, hit_row = self._cover(x, y)
        # Notes as numbers into a list of texts: most points have none, and building
        # one string column from an index is much cheaper than from a million objects.
        notes = ["", "no coordinates (NaN or missing)"]
        note = np.zeros(n, dtype=np.int64)
        finite = np.isfinite(x) & np.isfinite(y)
        note[~finite] = 1

        if hit_pt.size:
            # Border points: every district touching the point, lowest P-code first.
            counts = np.bincount(hit_pt, minlength=n)
            multi = counts[hit_pt] > 1
            for i, rows in _groups(hit_pt[multi], hit_row[multi]):
                touched = ", ".join(str(self.pcodes[r]) for r in rows)
                notes.append(f"on a shared border of {touched}: assigned to the lowest P-code {self.pcodes[rows[0]]}")
                note[i] = len(notes) - 1

        missed = np.flatnonzero((best < 0) & finite)
        if missed.size:
            rows, dist = self._snap(x[missed], y[missed])
            best[missed] = rows
            for k, i in enumerate(missed):
                if rows[k] >= 0:
                    notes.append(
                        f"snapped {dist[k]:.0f} m from outside the national border "
                        f"to the nearest district {self.pcodes[rows[k]]}"
                    )
                else:
                    notes.append(
                        f"outside Afghanistan: more than {settings.OUTSIDE_SNAP_M:.0f} m from any district "
                        f"(lon {x[i]:.5f}, lat {y[i]:.5f})"
                    )
                note[i] = len(notes) - 1

        # Row -1 (unassigned) takes the "" appended at the end of the code lists.
        return pd.DataFrame(
            {
                "adm1_pcode": _take_strings(np.append(self.parents, ""), best),
                "adm2_pcode": _take_strings(np.append(self.pcodes, ""), best),
                "assign_note": _take_strings(np.asarray(notes, dtype=object), note),
            }
        )

    # -- internals -------------------------------------------------------------------------------

    def _cover(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Lowest covering district row per point (-1 if none), plus every (point, row) hit in border cells."""
        n = x.size
        best = np.full(n, -1, dtype=np.int64)
        ny, nx = self.grid.shape
        with np.errstate(invalid="ignore"):
            fx = (x - self.origin[0]) / self.leaf_deg
            fy = (y - self.origin[1]) / self.leaf_deg
            inside = (fx >= 0) & (fx < nx) & (fy >= 0) & (fy < ny)  # False for NaN
        pts = np.flatnonzero(inside)
        # Non-negative, so truncation is floor; a point one cell off by rounding is still in the padded box.
        flat = fy[pts].astype(np.int64) * nx + fx[pts].astype(np.int64)
        code = self.grid.ravel()[flat]
        pure = code >= 0
        best[pts[pure]] = code[pure]

        border = code <= BORDER0
        bpts = pts[border]
        if bpts.size == 0:
            return best, np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        leaf = BORDER0 - code[border].astype(np.int64)
        start = self.cand_ptr[leaf]
        count = self.cand_ptr[leaf + 1] - start
        pair_pt = np.repeat(bpts, count)
        offset = np.arange(pair_pt.size) - np.repeat(np.cumsum(count) - count, count)
        pair_row = self.cand_idx[np.repeat(start, count) + offset]
        hit = shapely.intersects_xy(self.geoms[pair_row], x[pair_pt], y[pair_pt])
        hit_pt, hit_row = pair_pt[hit], pair_row[hit]
        # Candidates are stored in ascending row (= P-code) order, so the first hit per point is the lowest.
        first = np.ones(hit_pt.size, dtype=bool)
        first[1:] = hit_pt[1:] != hit_pt[:-1]
        best[hit_pt[first]] = hit_row[first]
        return best, hit_pt, hit_row

    def _snap(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Nearest district within OUTSIDE_SNAP_M metres in UTM 42N (ties: lowest P-code); -1 beyond."""
        if self._snap_tree is None:
            utm = gpd.GeoSeries(self.geoms, crs=WGS84).to_crs(UTM42N).to_numpy()
            self._snap_tree = shapely.STRtree(utm)
        ux, uy = TO_UTM42N.transform(lon, lat)
        (pt_i, row_i), dist = self._snap_tree.query_nearest(
            shapely.points(ux, uy), max_distance=settings.OUTSIDE_SNAP_M, return_distance=True, all_matches=True
        )
        rows = np.full(lon.size, -1, dtype=np.int64)
        out_d = np.full(lon.size, np.nan)
        if pt_i.size:
            d = np.round(dist, 3)
            order = np.lexsort((row_i, d, pt_i))
            pt_i, row_i, d = pt_i[order], row_i[order], d[order]
            first = np.ones(pt_i.size, dtype=bool)
            first[1:] = pt_i[1:] != pt_i[:-1]
            ok = first & np.isfinite(d)
            rows[pt_i[ok]] = row_i[ok]
            out_d[pt_i[ok]] = d[ok]
        return rows, out_d


def build_index(
    districts: gpd.GeoDataFrame | None = None, *, base_deg: float = BASE_CELL_DEG, max_depth: int = MAX_DEPTH
) -> PointIndex:
    """Build a :class:`PointIndex` over ``districts`` (default: the full-resolution 399 districts).

    Parameters
    ----------
    districts : geopandas.GeoDataFrame, optional
        ``pcode``, ``adm1_pcode`` and polygon geometry in WGS84. Use the FULL
        boundaries for joins (:func:`geo.boundaries.load_districts`), never the
        simplified display copies.
    base_deg : float, default :data:`BASE_CELL_DEG`
        Top-level cell size in degrees.
    max_depth : int, default :data:`MAX_DEPTH`
        Splitting levels; the finest cells are ``base_deg / 2**max_depth``.

    Returns
    -------
    PointIndex

    Examples
    --------
    >>> from geo.boundaries import load_districts
    >>> panjsher = load_districts().query("adm1_pcode == 'AF08'")
    >>> index = build_index(panjsher, max_depth=3)
    >>> rows = index.locate([69.51519, 69.17233], [35.31292, 34.52813])  # Bazarak; Kabul, outside Panjsher
    >>> rows.tolist(), index.pcodes[rows[0]]
    ([0, -1], 'AF0801')
    """
    started = time.perf_counter()
    if districts is None:
        districts = load_districts()
    missing = [c for c in ("pcode", "adm1_pcode") if c not in districts.columns]
    if missing:
        raise InputError(
            f"districts lack column(s) {missing}; expected a frame from load_districts()", field=missing[0]
        )
    if len(districts) == 0:
        raise InputError("districts is empty; expected at least one district polygon")
    if districts.crs is not None and districts.crs.to_epsg() != 4326:
        districts = districts.to_crs(WGS84)
    ordered = districts.sort_values("pcode", kind="stable")
    geoms = np.asarray(ordered.geometry.to_numpy(), dtype=object).copy()
    pcodes = ordered["pcode"].astype(str).to_numpy(dtype=object)
    parents = ordered["adm1_pcode"].astype(str).to_numpy(dtype=object)
    shapely.prepare(geoms)
    tree = shapely.STRtree(geoms)

    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    x0 = math.floor(minx / base_deg) * base_deg
    y0 = math.floor(miny / base_deg) * base_deg
    nx0 = max(1, math.ceil((maxx - x0) / base_deg))
    ny0 = max(1, math.ceil((maxy - y0) / base_deg))
    scale = 2**max_depth
    leaf_deg = base_deg / scale
    grid = np.full((ny0 * scale, nx0 * scale), OUTSIDE, dtype=np.int32)

    iy, ix = np.divmod(np.arange(nx0 * ny0, dtype=np.int64), nx0)
    leaf_cells: list[tuple[np.ndarray, np.ndarray]] = []  # (iy, ix) at the finest level
    leaf_cands: list[np.ndarray] = []
    leaf_counts: list[np.ndarray] = []
    for level in range(max_depth + 1):
        if ix.size == 0:
            break
        size = base_deg / 2**level
        boxes = shapely.box(
            x0 + ix * size - PAD_DEG,
            y0 + iy * size - PAD_DEG,
            x0 + (ix + 1) * size + PAD_DEG,
            y0 + (iy + 1) * size + PAD_DEG,
        )
        # Bounding-box candidates, then the exact test on the prepared district polygons (much
        # faster than letting the tree prepare each small box against the large polygons).
        cell_i, row_i = tree.query(boxes)
        touching = shapely.intersects(geoms[row_i], boxes[cell_i])
        cell_i, row_i = cell_i[touching], row_i[touching]
        order = np.lexsort((row_i, cell_i))
        cell_i, row_i = cell_i[order], row_i[order]
        counts = np.bincount(cell_i, minlength=ix.size)
        first_pos = np.cumsum(counts) - counts

        single = np.flatnonzero(counts == 1)
        covered = shapely.covers(geoms[row_i[first_pos[single]]], boxes[single])
        pure = single[covered]
        block = 2 ** (max_depth - level)
        for c, r in zip(pure, row_i[first_pos[pure]], strict=True):
            gy, gx = iy[c] * block, ix[c] * block
            grid[gy : gy + block, gx : gx + block] = r

        rest = np.setdiff1d(np.flatnonzero(counts > 0), pure, assume_unique=True)
        if level == max_depth:
            leaf_cells.append((iy[rest], ix[rest]))
            keep = np.isin(cell_i, rest)
            leaf_cands.append(row_i[keep])
            leaf_counts.append(counts[rest])
            break
        # Split the undecided cells in four.
        iy = (np.repeat(iy[rest] * 2, 4) + np.tile([0, 0, 1, 1], rest.size)).astype(np.int64)
        ix = (np.repeat(ix[rest] * 2, 4) + np.tile([0, 1, 0, 1], rest.size)).astype(np.int64)

    if leaf_cells:
        ly = np.concatenate([c[0] for c in leaf_cells])
        lx = np.concatenate([c[1] for c in leaf_cells])
        cand_idx = np.concatenate(leaf_cands).astype(np.int64)
        lcount = np.concatenate(leaf_counts).astype(np.int64)
    else:
        ly = lx = cand_idx = lcount = np.empty(0, dtype=np.int64)
    grid[ly, lx] = BORDER0 - np.arange(ly.size, dtype=np.int32)
    cand_ptr = np.concatenate([[0], np.cumsum(lcount)]).astype(np.int64)

    stats = {
        "build_s": time.perf_counter() - started,
        "grid_shape": grid.shape,
        "leaf_deg": leaf_deg,
        "pure_share": float((grid >= 0).mean()),
        "border_cells": int(ly.size),
        "mean_candidates": float(lcount.mean()) if lcount.size else 0.0,
    }
    return PointIndex(
        geoms=geoms,
        pcodes=pcodes,
        parents=parents,
        grid=grid,
        origin=(x0, y0),
        leaf_deg=leaf_deg,
        cand_ptr=cand_ptr,
        cand_idx=cand_idx,
        stats=stats,
    )


@functools.lru_cache(maxsize=2)
def _default_index(folder: str) -> PointIndex:
    return build_index(load_districts())


def default_index() -> PointIndex:
    """The index over the full-resolution districts, built once per process (and per boundary folder).

    Examples
    --------
    >>> default_index() is default_index()
    True
    """
    return _default_index(str(find_boundaries_dir()))


def assign_points(
    lon, lat, *, districts: gpd.GeoDataFrame | None = None, index: PointIndex | None = None
) -> pd.DataFrame:
    """Assign points to districts: :func:`geo.join.assign_points`'s API and result, through a :class:`PointIndex`.

    Parameters
    ----------
    lon, lat : array-like of float
        Longitudes and latitudes (WGS84), same length; NaN allowed.
    districts : geopandas.GeoDataFrame, optional
        Districts to assign to (an index is built for them, ~1 s, and kept for
        the next call with the same frame: :func:`index_for`); default: the
        full-resolution districts through :func:`default_index`.
    index : PointIndex, optional
        A ready index (takes precedence over ``districts``).

    Returns
    -------
    pandas.DataFrame
        Columns ``adm1_pcode, adm2_pcode, assign_note``, one row per point in input order.

    Examples
    --------
    >>> assign_points([62.19967, 51.39], [34.34817, 35.69])["adm2_pcode"].tolist()  # Herat; Tehran
    ['AF3201', '']
    """
    if index is None:
        index = default_index() if districts is None else index_for(districts)
    return index.assign(lon, lat)


_LAST: list[tuple[gpd.GeoDataFrame, PointIndex]] = []


def index_for(districts: gpd.GeoDataFrame) -> PointIndex:
    """The index of ``districts``, rebuilt only when a different frame comes (the last one is kept).

    Keeps the frame itself, not its ``id``, so a recycled id can never return a stale index.

    Examples
    --------
    >>> from geo.boundaries import load_districts
    >>> d = load_districts()
    >>> index_for(d) is index_for(d)
    True
    """
    if not _LAST or _LAST[0][0] is not districts:
        _LAST[:] = [(districts, build_index(districts))]
    return _LAST[0][1]


def _take_strings(values: np.ndarray, rows: np.ndarray):
    """``values[rows]`` as the column pandas would build from the object array, without the per-string copy."""
    rows = np.where(rows < 0, len(values) - 1, rows)
    dtype = pd.Series([""]).dtype
    if getattr(dtype, "storage", None) == "pyarrow":
        import pyarrow as pa

        return pd.array(pa.array(values.tolist(), type=pa.string()).take(pa.array(rows)), dtype=dtype)
    return values[rows]


def _coords(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(lon, dtype="float64").ravel()
    y = np.asarray(lat, dtype="float64").ravel()
    if x.shape != y.shape:
        raise InputError(f"lon and lat must have the same length, got {x.size} and {y.size}", field="lon")
    return x, y


def _groups(keys: np.ndarray, values: np.ndarray):
    """Yield (key, values) runs of a key-sorted pair of arrays."""
    if keys.size == 0:
        return
    cuts = np.flatnonzero(keys[1:] != keys[:-1]) + 1
    for k, v in zip(np.split(keys, cuts), np.split(values, cuts), strict=True):
        yield int(k[0]), v
