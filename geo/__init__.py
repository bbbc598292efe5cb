"""Afghanistan Resistance Map: the library (everything that is not UI).

Modules, one per concern:

- ``settings``: data paths, environment variables, tolerances, attribution.
- ``crs``: coordinate reference systems and the ellipsoid.
- ``errors``: the exception types.
- ``groups``: canonical armed-group names and their aliases.
- ``schema``: the event schema (ACLED-aligned) and its validation.
- ``boundaries``: loading (and downloading) the OCHA/AGCHO 2018 boundaries.
- ``gazetteer``: place names for geocoding.
- ``geocode``: place text (and coordinates) to district and province.
- ``join``: points to districts.
- ``events``: reading event files and building the bundled default data.
- ``filters``: selecting events and summarising a selection.
- ``cli``: ``python -m geo ...``.
"""

__version__ = "0.1.0"
