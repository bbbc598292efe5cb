"""Points to districts on the real OCHA/AGCHO 2018 boundaries (geo.join.assign_points)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely

from geo import settings
from geo.boundaries import load_districts
from geo.crs import GEOD
from geo.join import ASSIGN_COLUMNS, assign_points


@pytest.fixture(scope="module")
def districts():
    return load_districts()


# SOURCES.md check points (GeoNames coordinates) -> expected district.
CHECK_POINTS = [
    ("Bazarak", 69.51519, 35.31292, "AF08", "AF0801"),
    ("Pul-e Khumri", 68.71512, 35.94458, "AF09", "AF0901"),
    ("Herat", 62.19967, 34.34817, "AF32", "AF3201"),
    ("Farah", 62.11638, 32.37451, "AF33", "AF3301"),
    ("Qala-i-Naw", 63.12891, 34.98735, "AF31", "AF3101"),
    ("Kabul", 69.17233, 34.52813, "AF01", "AF0101"),
]


@pytest.mark.parametrize("name,lon,lat,adm1,adm2", CHECK_POINTS, ids=[c[0] for c in CHECK_POINTS])
def test_sources_check_points(name, lon, lat, adm1, adm2):
    out = assign_points([lon], [lat])
    assert out.loc[0, "adm1_pcode"] == adm1
    assert out.loc[0, "adm2_pcode"] == adm2
    assert out.loc[0, "assign_note"] == ""


def test_vectorised_one_row_per_point_in_order():
    lon = [c[1] for c in CHECK_POINTS][::-1]
    lat = [c[2] for c in CHECK_POINTS][::-1]
    out = assign_points(np.array(lon), np.array(lat))
    assert list(out.columns) == list(ASSIGN_COLUMNS)
    assert out["adm2_pcode"].tolist() == [c[4] for c in CHECK_POINTS][::-1]
    assert out.index.tolist() == list(range(len(lon)))


def _shared_vertex(districts, code):
    """A vertex that lies on the boundary of ``code`` and of a neighbour, from the real geometry."""
    geoms = dict(zip(districts["pcode"], districts.geometry, strict=False))
    mine = geoms[code]
    coords = shapely.get_coordinates(mine.exterior)
    for other_code, other in geoms.items():
        if other_code == code or not mine.touches(other):
            continue
        theirs = {tuple(c) for c in shapely.get_coordinates(other.exterior)}
        common = [tuple(c) for c in coords if tuple(c) in theirs]
        if common:
            return common[len(common) // 2], other_code
    raise AssertionError(f"no shared vertex found for {code}")


def test_point_on_shared_border_vertex_goes_to_lowest_pcode(districts):
    (lon, lat), neighbour = _shared_vertex(districts, "AF0801")
    covering = districts[districts.intersects(shapely.Point(lon, lat))]["pcode"].tolist()
    assert "AF0801" in covering and neighbour in covering and len(covering) >= 2
    out = assign_points([lon], [lat], districts=districts)
    assert out.loc[0, "adm2_pcode"] == min(covering)
    assert "shared border" in out.loc[0, "assign_note"]
    for code in covering:
        assert code in out.loc[0, "assign_note"]


def test_point_on_shared_edge_is_not_dropped(districts):
    # The midpoint of a segment both districts share, taken from the real coordinates.
    geoms = dict(zip(districts["pcode"], districts.geometry, strict=False))
    a = geoms["AF0101"]
    for code, other in geoms.items():
        if code == "AF0101" or not a.touches(other):
            continue
        shared = a.boundary.intersection(other.boundary)
        if shared.length > 0:
            break
    line = shapely.get_parts(shapely.line_merge(shared))[0]
    mid = line.interpolate(0.5, normalized=True)
    covering = districts[districts.intersects(mid)]["pcode"].tolist()
    assert covering and set(covering) <= {"AF0101", code}
    out = assign_points([mid.x], [mid.y], districts=districts)
    assert out.loc[0, "adm2_pcode"] == min(covering)  # never dropped, lowest P-code on a tie
    assert out.loc[0, "adm1_pcode"] == out.loc[0, "adm2_pcode"][:4]


def test_point_just_outside_north_border_is_snapped(districts):
    # A few hundred metres north of the northernmost vertex of Imam Sahib (Kunduz), on the Amu Darya.
    geom = districts.set_index("pcode").geometry["AF1905"]
    coords = shapely.get_coordinates(geom.exterior)
    lon, lat = coords[np.argmax(coords[:, 1])]
    lon2, lat2, _ = GEOD.fwd(lon, lat, 0.0, 300.0)
    assert not districts.intersects(shapely.Point(lon2, lat2)).any()  # really outside the country
    out = assign_points([lon2], [lat2], districts=districts)
    assert out.loc[0, "adm2_pcode"] == "AF1905"
    assert out.loc[0, "adm1_pcode"] == "AF19"
    note = out.loc[0, "assign_note"]
    assert note.startswith("snapped ") and "outside the national border" in note
    metres = float(note.split()[1])
    assert 250 <= metres <= settings.OUTSIDE_SNAP_M


def test_far_point_tehran_is_unassigned():
    out = assign_points([51.389], [35.6892])
    assert out.loc[0, "adm2_pcode"] == "" and out.loc[0, "adm1_pcode"] == ""
    assert "outside Afghanistan" in out.loc[0, "assign_note"]


def test_nan_coordinates_have_a_note_not_an_error():
    out = assign_points([math.nan, 69.17233, None], [34.5, 34.52813, 34.5])
    assert out["adm2_pcode"].tolist() == ["", "AF0101", ""]
    assert out.loc[0, "assign_note"] == "no coordinates (NaN or missing)"
    assert out.loc[2, "assign_note"] == "no coordinates (NaN or missing)"


def test_length_mismatch_is_an_input_error():
    from geo.errors import InputError

    with pytest.raises(InputError, match="same length"):
        assign_points([69.0, 70.0], [34.0])


def test_empty_input_gives_empty_frame():
    out = assign_points([], [])
    assert len(out) == 0 and list(out.columns) == list(ASSIGN_COLUMNS)
