"""Coordinate reference systems: the one place that names them.

All data in this project is stored in :data:`WGS84` (longitude, latitude).
Distances over hundreds of kilometres use the ellipsoid (:data:`GEOD`), local
metric work uses UTM zone 42N, and areas use an equal-area projection.
"""

from __future__ import annotations

from pyproj import Geod, Transformer

#: Geographic coordinates, longitude/latitude order (RFC 7946, GeoJSON).
WGS84 = "EPSG:4326"

#: UTM zone 42N: metres, good across most of Afghanistan for local buffers.
UTM42N = "EPSG:32642"

#: World Cylindrical Equal Area (metres): for area computations.
EQUAL_AREA = "EPSG:6933"

#: The WGS84 ellipsoid, for geodesic distances (``GEOD.inv``).
GEOD = Geod(ellps="WGS84")

#: WGS84 lon/lat to UTM 42N metres, built once (``always_xy=True``: x is longitude).
#: Reusing one Transformer is orders of magnitude faster than building one per call.
TO_UTM42N = Transformer.from_crs(WGS84, UTM42N, always_xy=True)
