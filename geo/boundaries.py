"""OCHA/AGCHO 2018 administrative boundaries: 34 provinces (ADM1), 399 districts (ADM2).

Where we look:

1. the folder in ``$AFGMAP_BOUNDARIES`` (when set, it must hold the files);
2. else ``data/boundaries/`` in the repository, which ships them as GeoParquet
   (``python -m geo download-boundaries`` refreshes them from the official zips).

A folder qualifies when it holds the GeoParquet files, the GeoJSON files or the
official shapefile zips (directly or in ``source/``). Full geometry is for joins;
the simplified files are for display (made from the full ones when absent).
"""

from __future__ import annotations

import functools
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo import settings
from geo.crs import WGS84
from geo.errors import BoundariesNotFoundError, InputError

#: Columns every boundary frame has (plus ``geometry``).
PROVINCE_COLUMNS = ("pcode", "name_en", "name_da", "region_en")
DISTRICT_COLUMNS = ("pcode", "name_en", "name_da", "adm1_pcode", "adm1_name_en", "region_en")

DOWNLOAD_HINT = "run `python -m geo download-boundaries` to fetch the official OCHA/AGCHO files into data/boundaries/"


def candidate_dirs() -> list[Path]:
    """The folders searched for boundary files, in order of preference."""
    env = settings.env_path(settings.BOUNDARIES_ENV)
    return [env] if env is not None else [settings.LOCAL_BOUNDARIES_DIR]


def _has_files(folder: Path) -> bool:
    if all(_locate_boundary_file(folder, name) for name in (settings.PROVINCES_FILE, settings.DISTRICTS_FILE)):
        return True
    return all(
        (folder / z).is_file() or (folder / "source" / z).is_file()
        for z in (settings.PROVINCES_ZIP, settings.DISTRICTS_ZIP)
    )


def find_boundaries_dir() -> Path:
    """Return the first folder that holds the boundary files.

    When ``$AFGMAP_BOUNDARIES`` is set, it must hold them: a wrong path is an
    error, not a silent fall-back to other data.

    Raises
    ------
    BoundariesNotFoundError
        With the folders searched and the command that fetches the files.
    """
    env = settings.env_path(settings.BOUNDARIES_ENV)
    if env is not None:
        if env.is_dir() and _has_files(env):
            return env
        raise BoundariesNotFoundError(
            f"No boundary files in ${settings.BOUNDARIES_ENV}={env} (expected {settings.PROVINCES_FILE} and "
            f"{settings.DISTRICTS_FILE}, or the OCHA zips); fix the path, unset it, or {DOWNLOAD_HINT}."
        )
    for folder in candidate_dirs():
        if folder.is_dir() and _has_files(folder):
            return folder
    searched = ", ".join(str(d) for d in candidate_dirs())
    raise BoundariesNotFoundError(f"No Afghanistan boundary files found (searched {searched}): {DOWNLOAD_HINT}.")


def _read_zip(path: Path, level: int, strict=True) -> gpd.GeoDataFrame:
    """Read an official OCHA shapefile zip into our column names."""
    raw = gpd.read_file(f"zip://{path}")
    if raw.crs is None or raw.crs.to_epsg() != 4326:
        raw = raw.set_crs(WGS84, allow_override=True) if raw.crs is None else raw.to_crs(WGS84)
    if level == 1:
        out = pd.DataFrame({"pcode": raw["ADM1_PCODE"], "name_en": raw["ADM1_EN"], "name_da": raw["ADM1_DA"]})
    else:
        out = pd.DataFrame(
            {
                "pcode": raw["ADM2_PCODE"],
                "name_en": raw["ADM2_EN"],
                "name_da": raw["ADM2_DA"],
                "alt_name_en_1": raw.get("ADM2ALT1EN"),
                "alt_name_en_2": raw.get("ADM2ALT2EN"),
                "adm1_pcode": raw["ADM1_PCODE"],
                "adm1_name_en": raw["ADM1_EN"],
            }
        )
    out["region_en"] = ""
    return gpd.GeoDataFrame(out, geometry=raw.geometry.values, crs=WGS84)


def _locate(folder: Path, name: str) -> Path | None:
    for p in (folder / name, folder / "source" / name):
        if p.is_file():
            return p
    return None


def _locate_boundary_file(folder: Path, name: str) -> Path | None:
    """The GeoParquet file ``name`` in ``folder``, else its GeoJSON twin, else None."""
    return _locate(folder, name) or _locate(folder, settings.GEOJSON_BOUNDARY_FILES[name])


def _read_boundary_file(path: Path) -> gpd.GeoDataFrame:
    """Read a GeoParquet or GeoJSON boundary file."""
    return gpd.read_parquet(path) if path.suffix == ".parquet" else gpd.read_file(path)


@functools.lru_cache(maxsize=8)
def _load(level: int, simplified: bool, folder: str) -> gpd.GeoDataFrame:
    base = Path(folder)
    names = {
        (1, False): settings.PROVINCES_FILE,
        (2, False): settings.DISTRICTS_FILE,
        (1, True): settings.PROVINCES_SIMPLIFIED_FILE,
        (2, True): settings.DISTRICTS_SIMPLIFIED_FILE,
    }
    path = _locate_boundary_file(base, names[(level, simplified)])
    if path is not None:
        frame = _read_boundary_file(path)
    elif simplified:
        # No simplified copy here (e.g. only the zips were downloaded): simplify the full one.
        full = _load(level, False, folder)
        frame = full.copy()
        frame["geometry"] = full.geometry.simplify(0.001, preserve_topology=True)
    else:
        zpath = _locate(base, settings.PROVINCES_ZIP if level == 1 else settings.DISTRICTS_ZIP)
        if zpath is None:
            raise BoundariesNotFoundError(f"{base} lacks {names[(level, False)]} and the OCHA zip: {DOWNLOAD_HINT}.")
        frame = _read_zip(zpath, level, strict=True)
    if frame.crs is None:
        frame = frame.set_crs(WGS84)
    elif frame.crs.to_epsg() != 4326:
        frame = frame.to_crs(WGS84)
    expected = settings.N_PROVINCES if level == 1 else settings.N_DISTRICTS
    cols = PROVINCE_COLUMNS if level == 1 else DISTRICT_COLUMNS
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise InputError(f"boundary file {path} lacks column(s) {missing}", field=missing[0])
    if len(frame) != expected or frame["pcode"].nunique() != expected:
        raise InputError(
            f"boundary file {path} has {len(frame)} features ({frame['pcode'].nunique()} distinct P-codes); "
            f"expected {expected} for the OCHA/AGCHO 2018 edition"
        )
    frame = frame.sort_values("pcode").reset_index(drop=True)
    for c in cols:
        frame[c] = frame[c].fillna("").astype(str)
    return frame


def load_provinces(*, simplified: bool = False) -> gpd.GeoDataFrame:
    """The 34 provinces (ADM1), sorted by P-code, in WGS84.

    Parameters
    ----------
    simplified : bool, default False
        The display geometry (0.001 degree, shared topology) instead of the full one.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``pcode, name_en, name_da, region_en, ..., geometry``.

    Examples
    --------
    >>> provinces = load_provinces()
    >>> len(provinces), provinces.loc[0, "pcode"]
    (34, 'AF01')
    """
    return _load(1, simplified, str(find_boundaries_dir())).copy()


def load_districts(*, simplified: bool = False) -> gpd.GeoDataFrame:
    """The 399 districts (ADM2), sorted by P-code, in WGS84.

    Columns ``pcode, name_en, name_da, adm1_pcode, adm1_name_en, region_en, ..., geometry``.

    Examples
    --------
    >>> districts = load_districts()
    >>> len(districts), districts.loc[0, "pcode"], districts.loc[0, "adm1_pcode"]
    (399, 'AF0101', 'AF01')
    """
    return _load(2, simplified, str(find_boundaries_dir())).copy()


def province_names() -> dict[str, str]:
    """P-code to English province name (AGCHO spelling), e.g. ``{"AF08": "Panjsher", ...}``."""
    p = load_provinces()
    return dict(zip(p["pcode"], p["name_en"], strict=True))


def district_names() -> dict[str, str]:
    """P-code to English district name (AGCHO spelling), e.g. ``{"AF0801": "Bazarak", ...}``."""
    d = load_districts()
    return dict(zip(d["pcode"], d["name_en"], strict=True))
