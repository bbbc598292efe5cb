"""folium maps of events: province outlines, districts shaded by events or fatalities, event points.

The Map page's map comes in two parts, so a filter change sends only what changed:

- :func:`base_map`, the same for every filter: the basemap, our browser code
  (``geo/web/afgmap.js``) and the display boundaries, both published as
  content-addressed files under ``/app/static/generated/`` (:func:`publish_map_assets`),
  fetched once and then kept by the browser;
- :func:`event_layer_data`, the selection: per-district counts (the shading),
  per-province counts of events known only to province level, the event points
  as one compact integer stream, popups, the legend. The page hands it to
  ``st_folium(feature_group_to_add=event_layer(data))``, which applies it to the
  map in place (``AfgMap.update`` in the browser) instead of rebuilding it.

In the browser the points are drawn on one canvas and clustered per zoom level
on a grid (60 px cells): a cluster is a ring coloured by its groups with the
event count; stacked events at one place are a disc with their count; a single
event is a 12 px dot. Clicking a cluster zooms in; clicking a place opens its
popup (every event with its date precision and what the point stands for, up
to :data:`geo.settings.MAP_LIGHT_THRESHOLD` drawable events; above, counts per
group) and reports the place's exact coordinates to the page, which lists its
events below the map. Events known only to province level are never drawn as
points: their count sits under the province's name, and its outline is dashed.

:func:`build_event_map` puts both parts in one folium map (a saved HTML file,
tests). Every string that came from a report is HTML-escaped
(:func:`escape_text`) before it reaches the page, and travels as a JSON string,
never as markup inside a script.
"""

from __future__ import annotations

import dataclasses
import hashlib
import html
import json
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import folium
import numpy as np
import pandas as pd
from branca.element import CssLink, Element, JavascriptLink, MacroElement
from folium.elements import ElementAddToElement, JSCSSMixin
from folium.map import Layer
from folium.template import Template

from geo import settings
from geo.aggregate import aggregate_by_district, aggregate_by_province
from geo.assets import clean_generated, localize, publish_file
from geo.display import common_name, date_label, placement_label, unit_label
from geo.errors import InputError
from geo.filters import Filters, filter_mask, summarize
from geo.groups import GROUP_COLORS, GROUP_LABELS, GROUPS
from geo.schema import PRECISION_PROVINCE, aggregate_mask

#: Initial view: the centre of Afghanistan and the country's bounding box (lat, lon).
AFG_CENTER: tuple[float, float] = (34.0, 66.0)
AFG_BOUNDS: tuple[tuple[float, float], tuple[float, float]] = ((29.3, 60.4), (38.5, 75.0))

#: The closest zoom the map allows (street level; the display boundaries are simplified to ~100 m).
MAX_ZOOM = 16

#: Basemaps :func:`new_map` knows.
BASEMAPS: tuple[str, ...] = ("osm", "none")

#: Metrics the districts can be shaded by: column of :func:`geo.aggregate.aggregate_by_district` → legend title.
METRICS: dict[str, str] = {"events": "Events per district", "fatalities": "Reported fatalities per district"}

#: OpenStreetMap tiles and their required attribution.
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'

#: What the map says when the OpenStreetMap tiles do not load (no network): it then drops them.
OFFLINE_NOTICE = (
    "<b>No network:</b> the OpenStreetMap tiles could not be loaded, so the map switched to "
    "<b>No basemap</b>. Boundaries and events are all here."
)

#: Milliseconds the browser waits for a first tile before it switches to no basemap.
TILE_TIMEOUT_MS = 8000

#: What the map says over an empty selection.
EMPTY_NOTICE = "<b>No events match these filters.</b> Widen the filters in the sidebar (or reset them)."

#: Decimals of the boundary coordinates sent to the browser (1e-4 degree is about 10 m,
#: finer than the 0.001 degree simplification of the display boundaries).
BOUNDARY_DECIMALS = 4

#: Decimals of point coordinates (1e-5 degree is about 1 m, so a clicked place
#: still matches its events' own coordinates).
POINT_DECIMALS = 5

#: Sequential colours of the district shading (ColorBrewer YlOrRd, light to dark).
SHADE_COLORS: tuple[str, ...] = ("#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026", "#800026")

#: Outline colours.
PROVINCE_LINE = "#333333"
DISTRICT_LINE = "#8c8c8c"

#: Layer names, as the layer control shows them.
LAYER_PROVINCES = "Province outlines"
LAYER_DISTRICTS = "Districts shaded"
LAYER_EVENTS = "Events (points)"

#: The browser side of the event map (our code; published next to the boundaries).
MAP_SCRIPT = Path(__file__).with_name("web") / "afgmap.js"

#: The folium scripts and stylesheets the event map needs (folium's map also links jQuery,
#: Bootstrap and Font Awesome, which it does not use: four fewer files for the browser to load).
_MAP_JS = ("leaflet",)
_MAP_CSS = ("leaflet_css",)


# --------------------------------------------------------------------------- escaping


def escape_text(value: object) -> str:
    """HTML-escape a value for display; missing values become ``""``.

    Besides ``& < > " '`` it escapes the characters that mean something inside
    a JavaScript string or template (backslash, backtick, ``$``), so escaped
    text stays text wherever it ends up.

    Examples
    --------
    >>> escape_text('<img src=x onerror=alert(1)>')
    '&lt;img src=x onerror=alert(1)&gt;'
    >>> escape_text(None)
    ''
    """
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT:
        return ""
    text = html.escape(str(value), quote=True)
    # Braces too: folium renders each element's script through Jinja, where "{{" would be code.
    return (
        text.replace("\\", "&#92;")
        .replace("`", "&#96;")
        .replace("$", "&#36;")
        .replace("{", "&#123;")
        .replace("}", "&#125;")
    )


#: Characters a link we render must not contain (whitespace, control characters).
_URL_BAD_CHARS = re.compile(r"[\s\x00-\x1f\x7f]")

#: The columns a popup shows.
POPUP_COLUMNS: tuple[str, ...] = (
    "event_id",
    "event_date",
    "date_precision",
    "group",
    "actor1",
    "actor2",
    "location",
    "adm1_pcode",
    "admin1",
    "adm2_pcode",
    "admin2",
    "geo_precision",
    "fatalities",
    "claim_status",
    "source_url",
    "source",
)


def safe_url(value: object) -> str | None:
    """The URL if it is an ``http``/``https`` URL with a host, else None (no ``javascript:``, ``data:``...).

    Examples
    --------
    >>> safe_url("https://example.org/a?b=1"), safe_url("javascript:alert(1)")
    ('https://example.org/a?b=1', None)
    """
    text = "" if value is None or value is pd.NA else str(value).strip()
    if not text or _URL_BAD_CHARS.search(text):
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return text


def _json(value: Any) -> str:
    """JSON safe to embed in a ``<script>``: no ``<``, ``>``, ``&`` or line separators appear raw.

    Nor ``{{``, ``{%`` or ``{#``: folium passes every rendered script through Jinja
    again. They cannot occur in JSON's structure, only inside strings, where
    ``\\u007b`` is the same character.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = re.sub(r"\{(?=[{%#])", r"\\u007b", text)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


# --------------------------------------------------------------------------- compact integers

#: The browser-side decoder of :func:`encode_varints` (Google's polyline scheme for one integer stream).
_JS_DECODE_VARINTS = """
            function afgVarints(s) {
                var out = [], i = 0, n = s.length;
                while (i < n) {
                    var b, shift = 0, res = 0;
                    do { b = s.charCodeAt(i++) - 63; res += (b & 31) * Math.pow(2, shift); shift += 5; } while (b >= 32);
                    out.push(res % 2 ? -(res + 1) / 2 : res / 2);
                }
                return out;
            }"""


def _varint_bytes(values: Any) -> tuple[np.ndarray, np.ndarray]:
    """The characters of :func:`encode_varints` as uint8, and how many each value took."""
    v = np.asarray(values, dtype=np.int64).ravel()
    if v.size == 0:
        return np.zeros(0, dtype=np.uint8), np.zeros(0, dtype=np.int64)
    z = ((v << 1) ^ (v >> 63)).view(np.uint64)  # zigzag: the sign in the lowest bit
    width = max(1, -(-int(z.max()).bit_length() // 5))
    chunks = np.zeros((len(z), width), dtype=np.uint8)
    lengths = np.zeros(len(z), dtype=np.int64)
    rest = z.copy()
    for k in range(width):
        present = (z >= (np.uint64(1) << np.uint64(5 * k))) if k else np.ones(len(z), dtype=bool)
        more = rest >= 32
        char = (rest & np.uint64(31)).astype(np.uint8) + np.where(more, np.uint8(32), np.uint8(0)) + np.uint8(63)
        chunks[:, k] = np.where(present, char, np.uint8(0))
        lengths += present
        rest = rest >> np.uint64(5)
    flat = chunks.ravel()
    return flat[flat != 0], lengths


def encode_varints(values: Any) -> str:
    """Encode signed integers as printable ASCII, 5 bits a character (the polyline algorithm's scheme).

    Small numbers take one or two characters instead of the four or five of
    decimal text with a comma; coordinate deltas are small numbers. Characters
    are in ``?`` (63) to ``~`` (126).

    Examples
    --------
    >>> encode_varints([0, 1, -1, 3850000])
    '?A@_p~iF'
    >>> decode_varints(encode_varints([0, 1, -1, 3850000])).tolist()
    [0, 1, -1, 3850000]
    """
    chars, _ = _varint_bytes(values)
    return chars.tobytes().decode("ascii")


def encode_varint_groups(values: Any, sizes: Sequence[int]) -> list[str]:
    """:func:`encode_varints` of consecutive groups of ``values`` (``sizes`` values each), in one pass.

    Examples
    --------
    >>> encode_varint_groups([0, 1, -1, 3850000], [1, 3])
    ['?', 'A@_p~iF']
    """
    chars, lengths = _varint_bytes(values)
    text = chars.tobytes().decode("ascii")
    char_offsets = np.concatenate([[0], np.cumsum(lengths)])
    bounds = char_offsets[np.concatenate([[0], np.cumsum(np.asarray(sizes, dtype=np.int64))])]
    return [text[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def decode_varints(text: str) -> np.ndarray:
    """Decode :func:`encode_varints` output (for tests and tools; the browser has its own decoder)."""
    out: list[int] = []
    res = shift = 0
    for ch in text.encode("ascii"):
        b = ch - 63
        res |= (b & 31) << shift
        shift += 5
        if b < 32:
            out.append(-((res + 1) >> 1) if res & 1 else res >> 1)
            res = shift = 0
    return np.array(out, dtype=np.int64)


# --------------------------------------------------------------------------- map elements


class _RawText(Element):
    """Text that is already rendered. Unlike ``Element(text)``, it is not parsed again as a Jinja template:
    that would cost a quarter of a second on a 2 MB script, and would run any ``{{ }}`` in it."""

    def __init__(self, text: str):
        super().__init__()
        self._text = text

    def render(self, **kwargs) -> str:
        return self._text


class _RenderOnce:
    """Mixin for our elements: render header/html/script macros once, straight into the figure."""

    def render(self, **kwargs):
        figure = self.get_root()
        for name, url in getattr(self, "default_js", []):
            figure.header.add_child(JavascriptLink(url), name=name)
        for name, url in getattr(self, "default_css", []):
            figure.header.add_child(CssLink(url), name=name)
        if isinstance(self, Layer) and self.show:
            self.add_child(
                ElementAddToElement(element_name=self.get_name(), element_parent_name=self._parent.get_name()),
                name=self.get_name() + "_add",
            )
        module = self._template.module
        for part, target in (("header", figure.header), ("html", figure.html), ("script", figure.script)):
            macro = module.__dict__.get(part)
            if macro is not None:
                target.add_child(_RawText(macro(self, kwargs)), name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)


class _Attribution(_RenderOnce, MacroElement):
    """Adds the project's attribution (boundaries, places, events) to the map's attribution control."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>.leaflet-control-attribution {font-size: 10px; line-height: 1.3;}
        /* Phones: a one-line attribution (tap to read it all), clear of the scale bar. */
        @media (max-width: 640px) {
        .leaflet-control-attribution {max-width: calc(100vw - 120px); white-space: nowrap; overflow: hidden;
            text-overflow: ellipsis;}
        .leaflet-control-attribution:hover, .leaflet-control-attribution:focus {white-space: normal;}}</style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.text_json }});
        {% endmacro %}
        """
    )

    def __init__(self, text: str):
        super().__init__()
        self._name = "Attribution"
        self.text_json = _json(escape_text(text))


class CompactPolygons(_RenderOnce, Layer):
    """A polygon layer sent as integer deltas (a fraction of GeoJSON's size), with per-feature style and tooltip.

    ``features`` is a list of ``(geometry, style, tooltip_html, label_html)``;
    tooltips and labels must already be escaped HTML.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
            var scale = {{ this.scale }}, data = {{ this.data_json }}, styles = {{ this.styles_json }};
            var group = L.featureGroup();{{ this.js_decoder }}
            function decode(text) {
                var flat = afgVarints(text), out = [], x = 0, y = 0;
                for (var i = 0; i < flat.length; i += 2) {
                    x += flat[i]; y += flat[i + 1];
                    out.push([y / scale, x / scale]);
                }
                return out;
            }
            data.forEach(function (f) {
                var polys = f[0].map(function (poly) { return poly.map(decode); });
                var layer = L.polygon(polys.length === 1 ? polys[0] : polys, styles[f[1]]);
                if (f[2]) { layer.bindTooltip(f[2], {sticky: true}); }
                layer.addTo(group);
                if (f[3]) {
                    L.marker([f[3][1], f[3][2]], {
                        icon: L.divIcon({className: "afg-label", html: f[3][0], iconSize: null}),
                        interactive: false, keyboard: false
                    }).addTo(group);
                }
            });
            return group;
        })();
        {% endmacro %}
        """
    )

    def __init__(
        self,
        features: Sequence[tuple[Any, dict[str, Any], str, tuple[str, float, float] | None]],
        *,
        name: str,
        decimals: int = BOUNDARY_DECIMALS,
        show: bool = True,
    ):
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "CompactPolygons"
        scale = 10**decimals
        styles: list[str] = []
        style_index: dict[str, int] = {}
        rows = []
        deltas: list[np.ndarray] = []
        for geom, style, tooltip, label in features:
            key = _json(style)
            if key not in style_index:
                style_index[key] = len(styles)
                styles.append(key)
            label_data = None
            if label is not None:
                label_data = [label[0], round(label[1], decimals), round(label[2], decimals)]
            shape = []
            for rings in _ring_deltas(geom, scale):
                shape.append(list(range(len(deltas), len(deltas) + len(rings))))
                deltas.extend(rings)
            rows.append([shape, style_index[key], tooltip or "", label_data])
        # All rings in one encoding pass, then each row's ring numbers replaced by its strings.
        texts = encode_varint_groups(np.concatenate(deltas) if deltas else [], [d.size for d in deltas])
        for row in rows:
            row[0] = [[texts[i] for i in poly] for poly in row[0]]
        self.scale = scale
        self.js_decoder = _JS_DECODE_VARINTS
        self.data_json = _json(rows)
        self.styles_json = "[" + ",".join(styles) + "]"


def _ring_deltas(geom: Any, scale: int) -> list[list[np.ndarray]]:
    """Per polygon, per ring: the quantized vertices as (dx, dy) deltas, flattened (repeats that quantizing made dropped)."""
    polys = list(geom.geoms) if geom.geom_type == "MultiPolygon" else [geom]
    out = []
    for poly in polys:
        if poly.is_empty:
            continue
        rings = []
        for ring in [poly.exterior, *poly.interiors]:
            q = np.round(np.asarray(ring.coords)[:, :2] * scale).astype(np.int64)
            keep = np.ones(len(q), dtype=bool)
            keep[1:] = np.any(q[1:] != q[:-1], axis=1)
            q = q[keep]
            rings.append(np.diff(q, axis=0, prepend=np.zeros((1, 2), dtype=np.int64)).ravel())
        out.append(rings)
    return out


class _EventMapInit(_RenderOnce, JSCSSMixin, MacroElement):
    """Loads our browser code and the boundaries (cached static files) and sets the map up (``AfgMap.init``)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            AfgMap.init({{ this._parent.get_name() }}, {{ this.config_json }});
        {% endmacro %}
        """
    )

    # A JSCSSMixin: streamlit-folium loads the scripts of those elements only (in tree order, after Leaflet).
    def __init__(self, assets: MapAssets, config: dict[str, Any]):
        super().__init__()
        self._name = "AfgMapInit"
        self.default_js = [("afgmap", assets.script_url), ("afg_boundaries", assets.boundaries_url)]
        self.config_json = _json(config)


class _EventData(_RenderOnce, MacroElement):
    """The selection's part of the map (:func:`event_layer_data`), applied with ``AfgMap.update``."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            AfgMap.update({{ this.data_json }});
        {% endmacro %}
        """
    )

    def __init__(self, data: dict[str, Any] | str):
        super().__init__()
        self._name = "AfgMapData"
        self.data_json = data if isinstance(data, str) else layer_json(data)


# --------------------------------------------------------------------------- static files


@dataclasses.dataclass(frozen=True)
class MapAssets:
    """Where the browser finds the event map's browser code and display boundaries (content-addressed URLs)."""

    script_url: str
    boundaries_url: str


def boundaries_payload(provinces: Any, districts: Any, *, decimals: int = BOUNDARY_DECIMALS) -> dict[str, Any]:
    """The display boundaries as the browser side reads them (``window.AFG_BOUNDARIES``).

    Rings travel as :func:`encode_varints` of quantized coordinate deltas.
    Provinces carry their label point, short name (``n``, e.g. ``Herat``), full
    name (``t``, :func:`geo.display.unit_label`, e.g. ``Herat (Hirat)``) and area
    (labels of larger provinces win when labels would overlap); districts their
    full name and their province's. Every name is escaped.

    Raises
    ------
    InputError
        Boundaries without ``pcode``, ``name_en`` or ``geometry``.

    Examples
    --------
    >>> from geo.boundaries import load_districts, load_provinces
    >>> data = boundaries_payload(load_provinces(simplified=True), load_districts(simplified=True))
    >>> len(data["provinces"]), len(data["districts"])
    (34, 399)
    >>> next(p["t"] for p in data["provinces"] if p["p"] == "AF32")
    'Herat (Hirat)'
    """
    for label, frame in (("provinces", provinces), ("districts", districts)):
        missing = [c for c in ("pcode", "name_en", "geometry") if c not in frame.columns]
        if missing:
            raise InputError(f"{label} boundaries lack column(s) {missing}", field=missing[0])
    scale = 10**decimals
    full_names = {p: unit_label(p, n) for p, n in zip(provinces["pcode"], provinces["name_en"], strict=True)}
    shapes: list[list[list[np.ndarray]]] = []
    items: list[dict[str, Any]] = []
    for pcode, name, geom in zip(provinces["pcode"], provinces["name_en"], provinces.geometry, strict=True):
        point = geom.representative_point()
        items.append(
            {
                "p": str(pcode),
                "n": escape_text(common_name(pcode, name)),
                "t": escape_text(full_names[pcode]),
                "l": [round(point.y, decimals), round(point.x, decimals)],
                "a": round(float(geom.area), 4),
            }
        )
        shapes.append(_ring_deltas(geom, scale))
    parents = districts["adm1_pcode"] if "adm1_pcode" in districts.columns else districts["pcode"].str[:4]
    for pcode, name, parent, geom in zip(
        districts["pcode"], districts["name_en"], parents, districts.geometry, strict=True
    ):
        items.append(
            {
                "p": str(pcode),
                "n": escape_text(unit_label(pcode, name)),
                "pn": escape_text(full_names.get(parent, parent)),
            }
        )
        shapes.append(_ring_deltas(geom, scale))
    flat = [ring for shape in shapes for poly in shape for ring in poly]
    texts = iter(encode_varint_groups(np.concatenate(flat) if flat else [], [r.size for r in flat]))
    for item, shape in zip(items, shapes, strict=True):
        item["g"] = [[next(texts) for _ in poly] for poly in shape]
    n_prov = len(provinces)
    return {"scale": scale, "provinces": items[:n_prov], "districts": items[n_prov:]}


def publish_map_assets(provinces: Any, districts: Any) -> MapAssets:
    """Write the browser code and the display boundaries to ``static/generated/`` (once); return their URLs.

    The file names carry a hash of their content, so a URL never changes meaning
    and the browser may keep the files: a filter change, a click or the next
    visit loads neither again (see :func:`geo.assets.publish_file` for the caching).
    Then the stale files of earlier versions are deleted (:func:`geo.assets.clean_generated`:
    never one this process published, nor one published in the last
    :data:`geo.settings.GENERATED_KEEP_HOURS`).

    Examples
    --------
    >>> from geo.boundaries import load_districts, load_provinces
    >>> assets = publish_map_assets(load_provinces(simplified=True), load_districts(simplified=True))
    >>> assets.boundaries_url.startswith("/app/static/generated/afg-boundaries-")
    True
    """
    script = publish_file("afgmap", MAP_SCRIPT.read_bytes(), suffix=".js")
    payload = boundaries_payload(provinces, districts)
    boundaries = publish_file(
        "afg-boundaries", ("window.AFG_BOUNDARIES=" + _json(payload) + ";\n").encode("utf-8"), suffix=".js"
    )
    clean_generated()
    return MapAssets(script_url=script, boundaries_url=boundaries)


# --------------------------------------------------------------------------- builders


def new_map(*, basemap: str = "osm", fit: bool = True) -> folium.Map:
    """An empty map of Afghanistan, its scripts served locally.

    Parameters
    ----------
    basemap : {"osm", "none"}, default "osm"
        OpenStreetMap tiles (with their attribution), or no tile layer at all
        (works offline).
    fit : bool, default True
        Fit the country's bounding box when the map loads (the event map fits
        it itself, once its frame has its final size).

    Returns
    -------
    folium.Map
        Centred on Afghanistan, the project's attribution in the attribution
        control, scripts pointed at ``/app/static/vendor`` (:func:`geo.assets.localize`).

    Raises
    ------
    InputError
        For an unknown basemap.
    AssetsMissingError
        When the vendored scripts are not installed (``python -m geo fetch-assets``).

    Examples
    --------
    >>> m = new_map(basemap="none")
    >>> "tile.openstreetmap.org" in m.get_root().render()
    False
    """
    if basemap not in BASEMAPS:
        raise InputError(f"expected one of {list(BASEMAPS)}, got {basemap!r}", field="basemap")
    m = folium.Map(
        location=list(AFG_CENTER),
        zoom_start=6,
        tiles=None,
        control_scale=True,
        # Leaflet's own zoom limits (folium's min_zoom/max_zoom only reach tile layers).
        minZoom=4,
        maxZoom=MAX_ZOOM,
        # Half zoom steps: the country fills a phone's width as well as a desktop's.
        zoomSnap=0.5,
    )
    if basemap == "osm":
        folium.TileLayer(
            OSM_TILES, attr=OSM_ATTRIBUTION, name="OpenStreetMap", max_zoom=MAX_ZOOM, control=False
        ).add_to(m)
    _Attribution(settings.ATTRIBUTION).add_to(m)
    if fit:
        m.fit_bounds([list(AFG_BOUNDS[0]), list(AFG_BOUNDS[1])])
    return localize(m)


#: Maps narrower than this (pixels) open with their legends folded (a phone).
NARROW_MAP_PX = 500


class FitToFrame(_RenderOnce, MacroElement):
    """Makes a map fill its streamlit-folium frame and keeps the country fitted to it until the user moves it.

    The page sizes the frame to the screen (``pages.common.map_frame_css``); inside it the map's
    ``#map_div`` takes the frame's height, and Afghanistan is fitted again whenever the frame resizes.
    On a narrow map (a phone) the legends start folded. Outside streamlit-folium (a saved HTML file)
    there is no ``#map_div`` and only the fitting applies.
    """

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>#map_div.leaflet-container{height:calc(100vh - 10px)!important}</style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        (function (map) {
            var bounds = L.latLngBounds({{ this.bounds_json }}), touched = false, box = map.getContainer();
            ["pointerdown", "wheel", "keydown", "touchstart"].forEach(function (type) {
                box.addEventListener(type, function () { touched = true; }, {passive: true});
            });
            function fit() {
                if (touched) return;
                map.invalidateSize(false);
                map.fitBounds(bounds, {padding: [6, 6], animate: false});
            }
            map.on("resize", fit);
            fit();
            if (map.getSize().x < {{ this.narrow }}) {
                box.querySelectorAll(".afgmap-legend details").forEach(function (d) { d.open = false; });
            }
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self):
        super().__init__()
        self._name = "FitToFrame"
        self.bounds_json = _json([list(AFG_BOUNDS[0]), list(AFG_BOUNDS[1])])
        self.narrow = NARROW_MAP_PX


def finalize(m: folium.Map) -> folium.Map:
    """What every map needs before it is rendered: a layer control (once, collapsed) and local scripts.

    Call it last, after every layer and plugin was added: it localizes the
    scripts of everything in the map (:func:`geo.assets.localize`).

    Raises
    ------
    AssetsMissingError
        When a script has no local copy or the copies are not installed.
    """
    has_control = any(isinstance(c, folium.LayerControl) for c in m._children.values())
    has_layers = any(isinstance(c, Layer) and c.control for c in m._children.values())
    if has_layers and not has_control:
        folium.LayerControl(collapsed=True, position="topright").add_to(m)
    return localize(m)


def base_map(assets: MapAssets, *, basemap: str = "osm") -> folium.Map:
    """The part of the event map that no filter changes: basemap, boundaries, empty event layer, controls.

    Its script is a few kilobytes and the same for every selection, so
    ``st_folium`` keeps the map (and where the user panned it) when the
    filters change; the selection comes with :func:`event_layer`.

    Parameters
    ----------
    assets : MapAssets
        From :func:`publish_map_assets`.
    basemap : {"osm", "none"}, default "osm"
        See :func:`new_map`. With ``"osm"``, the browser drops the tiles and says
        so when none loads (no network).

    Examples
    --------
    >>> m = base_map(MapAssets("/app/static/generated/a.js", "/app/static/generated/b.js"), basemap="none")
    >>> [url for _, url in m.default_js]
    ['/app/static/vendor/leaflet@1.9.3/dist/leaflet.js']
    """
    m = new_map(basemap=basemap, fit=False)  # AfgMap.init fits the country, without an animation
    # Only Leaflet: the map uses none of folium's jQuery, Bootstrap or marker icon files.
    m.default_js = [(name, url) for name, url in m.default_js if name in _MAP_JS]
    m.default_css = [(name, url) for name, url in m.default_css if name in _MAP_CSS]
    config = {
        "maxZoom": MAX_ZOOM,
        "bounds": [list(AFG_BOUNDS[0]), list(AFG_BOUNDS[1])],
        "layers": {"districts": LAYER_DISTRICTS, "provinces": LAYER_PROVINCES, "events": LAYER_EVENTS},
        "offlineNotice": OFFLINE_NOTICE,
        "tileTimeoutMs": TILE_TIMEOUT_MS,
    }
    _EventMapInit(assets, config).add_to(m)
    return localize(m)


def layer_json(data: dict[str, Any]) -> str:
    """:func:`event_layer_data` as the JSON the browser reads (safe inside a ``<script>``)."""
    return _json(data)


def event_layer(data: dict[str, Any] | str) -> folium.FeatureGroup:
    """The selection (:func:`event_layer_data`, or its :func:`layer_json`) as a folium layer for
    ``st_folium(feature_group_to_add=...)``, which applies it to the map in place (``AfgMap.update``)."""
    group = folium.FeatureGroup(name="selection", control=False)
    _EventData(data).add_to(group)
    return group


def build_event_map(
    events: pd.DataFrame,
    *,
    provinces: Any,
    districts: Any,
    metric: str = "events",
    basemap: str = "osm",
    max_points: int | None = None,
) -> folium.Map:
    """The whole event map in one folium map: :func:`base_map` with :func:`event_layer_data` applied.

    For a saved HTML file or a test; the Map page sends the two parts apart.

    Parameters
    ----------
    events : pandas.DataFrame
        Events already filtered (:func:`geo.filters.apply_filters`); not modified.
    provinces, districts : geopandas.GeoDataFrame
        The simplified boundaries (``load_provinces(simplified=True)``, ``load_districts(simplified=True)``).
    metric : {"events", "fatalities"}, default "events"
        What the district shading counts.
    basemap : {"osm", "none"}, default "osm"
        See :func:`new_map`.
    max_points : int, optional
        See :func:`event_layer_data` (``max_popups``).

    Raises
    ------
    InputError
        For an unknown metric or basemap, or boundaries without ``pcode``/``name_en``/``geometry``.

    Examples
    --------
    >>> from geo.boundaries import load_districts, load_provinces
    >>> from geo.events import load_events
    >>> from geo.filters import Filters, apply_filters
    >>> events = apply_filters(load_events(), Filters(groups=("NRF",)))
    >>> m = build_event_map(events, provinces=load_provinces(simplified=True),
    ...     districts=load_districts(simplified=True), basemap="none")
    >>> "AfgMap.update(" in m.get_root().render()
    True
    """
    data = event_layer_data(events, metric=metric, max_popups=max_points)
    m = base_map(publish_map_assets(provinces, districts), basemap=basemap)
    _EventData(data).add_to(m)
    return localize(m)


# --------------------------------------------------------------------------- the selection


def _bins(values: Sequence[float]) -> list[float]:
    """Class breaks (lower bounds) for the shading: 1, 2, 5, 10, 20, 50... up to the maximum, at most 7.

    Examples
    --------
    >>> _bins([1, 3, 34])
    [1, 2, 5, 10, 20]
    """
    top = max((v for v in values if v > 0), default=0)
    steps: list[float] = []
    base = 1
    while base <= top:
        steps += [base * mult for mult in (1, 2, 5) if base * mult <= top]
        base *= 10
    if not steps:
        return [1]
    if len(steps) > len(SHADE_COLORS):
        # Keep the lowest and the highest breaks; thin the middle evenly.
        idx = np.linspace(0, len(steps) - 1, len(SHADE_COLORS)).round().astype(int)
        steps = [steps[i] for i in sorted(set(idx))]
    return steps


def _shade(value: float, bins: list[float]) -> str | None:
    """The fill of a district with ``value`` (None: not shaded). The browser applies the same rule (``shade``)."""
    if not value or value <= 0:
        return None
    pos = 0
    for i, lower in enumerate(bins):
        if value >= lower:
            pos = i
    return SHADE_COLORS[min(pos, len(SHADE_COLORS) - 1)] if len(bins) > 1 else SHADE_COLORS[3]


def drawable_mask(events: pd.DataFrame) -> np.ndarray:
    """Events drawn as points: coordinates present, placed to a district, not province-level precision."""
    lat = pd.to_numeric(events["latitude"], errors="coerce")
    lon = pd.to_numeric(events["longitude"], errors="coerce")
    adm2 = events["adm2_pcode"].fillna("").astype(str)
    prec = pd.to_numeric(events["geo_precision"], errors="coerce")
    return (lat.notna() & lon.notna() & (adm2 != "") & (prec.fillna(0) != PRECISION_PROVINCE)).to_numpy()


def event_popup_html(row: pd.Series | dict[str, Any]) -> str:
    """The popup of one event: date with its precision, group, target, place as reported, district and
    province with what the point stands for, fatalities, claim status and source link.
    Every value is escaped; the link only for http(s).

    Examples
    --------
    >>> html_text = event_popup_html({"event_date": "2024-03-01", "date_precision": "month", "group": "NRF",
    ...     "location": "<b>x</b>", "geo_precision": 2, "source_url": "javascript:alert(1)"})
    >>> "&lt;b&gt;x&lt;/b&gt;" in html_text and "javascript:" not in html_text
    True
    >>> "Mar 2024 (month)" in html_text and "placed at district centre" in html_text
    True
    """
    get = row.get
    date = get("event_date")
    date_text = date_label(date.date().isoformat() if isinstance(date, pd.Timestamp) else date, get("date_precision"))
    group = str(get("group") or "")
    color = GROUP_COLORS.get(group, GROUP_COLORS["Unknown"])
    fat = get("fatalities")
    fat_text = (
        "not reported"
        if fat is None or fat is pd.NA or (isinstance(fat, float) and math.isnan(fat))
        else escape_text(fat)
    )
    district = get("admin2")
    province = get("admin1")
    district_text = unit_label(str(get("adm2_pcode") or ""), str(district)) if _present(district) else ""
    province_text = unit_label(str(get("adm1_pcode") or ""), str(province)) if _present(province) else ""
    place = ", ".join(escape_text(x) for x in (district_text, province_text) if x)
    url = safe_url(get("source_url"))
    source_name = escape_text(get("source") or (urlsplit(url).netloc if url else ""))
    if url:
        link = f'<a href="{escape_text(url)}" target="_blank" rel="noopener noreferrer">{source_name or "source"}</a>'
    else:
        link = source_name or "none given"
    actor = escape_text(get("actor1"))
    lines = [
        f'<b>{escape_text(date_text)}</b> · <span style="color:{color}">&#9679;</span> <b>{escape_text(group)}</b>'
        + (f" ({actor})" if actor and actor != escape_text(GROUP_LABELS.get(group, "")) else ""),
        f"Target: {escape_text(get('actor2')) or '–'}",
        f"Place as reported: {escape_text(get('location')) or '–'}",
        f"District, province: {place or '–'} · <i>{escape_text(placement_label(get('geo_precision')))}</i>",
        f"Reported fatalities: {fat_text}",
        f"Claim: {escape_text(get('claim_status')) or '–'}",
        f"Source: {link}",
    ]
    event_id = escape_text(get("event_id"))
    if event_id:
        lines.append(f'<span style="color:#777">{event_id}</span>')
    return '<div class="afg-popup">' + "<br>".join(lines) + "</div>"


def _present(value: object) -> bool:
    return not (value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)) or value == "")


def point_rows(events: pd.DataFrame, *, decimals: int = POINT_DECIMALS) -> tuple[np.ndarray, np.ndarray]:
    """The drawable events as integer rows ``lat, lon, group index, count``, one per distinct (place, group).

    Rows are sorted by place (latitude, then longitude) then group, so the rows
    of one place are consecutive. Also returns, for each event given, the index
    of its place (in the order of the rows' places).

    Examples
    --------
    >>> frame = pd.DataFrame({"latitude": [34.5, 34.5, 34.5, 31.0], "longitude": [69.2, 69.2, 69.2, 65.7],
    ...     "group": ["NRF", "NRF", "AFF", "NRF"]})
    >>> rows, place = point_rows(frame)
    >>> rows.tolist()
    [[3100000, 6570000, 0, 1], [3450000, 6920000, 0, 2], [3450000, 6920000, 1, 1]]
    >>> place.tolist()
    [1, 1, 1, 0]
    """
    scale = 10**decimals
    lat = np.round(pd.to_numeric(events["latitude"], errors="coerce").to_numpy(dtype="float64") * scale).astype(
        np.int64
    )
    lon = np.round(pd.to_numeric(events["longitude"], errors="coerce").to_numpy(dtype="float64") * scale).astype(
        np.int64
    )
    codes = {g: i for i, g in enumerate(GROUPS)}
    grp = events["group"].map(codes).fillna(codes["Unknown"]).to_numpy(dtype=np.int64)
    if len(lat) == 0:
        return np.zeros((0, 4), dtype=np.int64), np.zeros(0, dtype=np.int64)
    # One int64 key per (lat, lon) and per (lat, lon, group), sorted once: much faster than np.unique(axis=0).
    lat0, lon0 = int(lat.min()), int(lon.min())
    lon_bits = max(1, int(lon.max() - lon0).bit_length())
    lat_bits = max(1, int(lat.max() - lat0).bit_length())
    if lat_bits + lon_bits + 4 > 62:
        raise InputError(
            f"expected coordinates within a country, got a span of {lat_bits + lon_bits} bits", field="latitude"
        )
    place_key = ((lat - lat0) << lon_bits) | (lon - lon0)
    places, place_of = np.unique(place_key, return_inverse=True)
    keys, counts = np.unique(place_key << 4 | grp, return_counts=True)
    rest = keys >> 4
    rows = np.column_stack([(rest >> lon_bits) + lat0, (rest & ((1 << lon_bits) - 1)) + lon0, keys & 15, counts])
    return rows.astype(np.int64), place_of.astype(np.int64)


def _place_popups(points: pd.DataFrame, place_of: np.ndarray, n_places: int) -> list[str]:
    """One popup per place listing all its events (newest first), so none hides another."""
    records = points.to_dict(orient="records")
    html_rows = [event_popup_html(r) for r in records]
    dates = pd.to_datetime(points["event_date"], errors="coerce").to_numpy()
    by_place: list[list[int]] = [[] for _ in range(n_places)]
    for i, p in enumerate(place_of):
        by_place[p].append(i)
    popups = []
    for members in by_place:
        if len(members) == 1:
            popups.append(html_rows[members[0]])
            continue
        dated = sorted((i for i in members if not pd.isna(dates[i])), key=lambda i: dates[i], reverse=True)
        newest_first = dated + [i for i in members if pd.isna(dates[i])]
        popups.append(
            f'<div class="afg-popup-list"><b>{len(members)} events at this place</b><hr>'
            + "<hr>".join(html_rows[i] for i in newest_first)
            + "</div>"
        )
    return popups


def event_layer_data(
    events: pd.DataFrame,
    *,
    metric: str = "events",
    max_popups: int | None = None,
    details: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """The part of the map a selection decides, as JSON-ready data for ``AfgMap.update`` in the browser.

    Parameters
    ----------
    events : pandas.DataFrame
        Events already filtered (:func:`geo.filters.apply_filters`); not modified.
    metric : {"events", "fatalities"}, default "events"
        What the district shading counts.
    max_popups : int, optional
        Up to this many drawable events, every place's popup lists its events in
        full; above it, a popup gives the counts per group and the page lists the
        events of a clicked place. Default :data:`geo.settings.MAP_LIGHT_THRESHOLD`.
    details : pandas.DataFrame, optional
        Where the popups' columns (:data:`POPUP_COLUMNS`) are read, by index
        label, when ``events`` holds only the columns the counts need (see
        :func:`map_selection`); default ``events`` itself.

    Returns
    -------
    dict
        ``districts`` (P-code → [events, reported fatalities]), ``provinceLevel``
        (P-code → events known only to province level), ``points`` (the rows of
        :func:`point_rows` as :func:`encode_varints` of lat/lon deltas, group, count),
        ``popups`` (one escaped HTML per place, or None), ``bins``, ``shades``,
        ``legend`` (escaped HTML), ``groups``/``colors`` (by group index),
        ``emptyNotice``, ``total`` (events drawn), ``version`` (a digest, so the
        browser can tell a new selection).

    Raises
    ------
    InputError
        For an unknown metric.

    Examples
    --------
    >>> from geo.events import load_events
    >>> from geo.filters import Filters, apply_filters
    >>> nrf = apply_filters(load_events(), Filters(groups=("NRF",)))
    >>> data = event_layer_data(nrf)
    >>> data["total"] == int(drawable_mask(nrf).sum()) and data["groups"][0] == "NRF"
    True
    """
    if metric not in METRICS:
        raise InputError(f"expected one of {list(METRICS)}, got {metric!r}", field="metric")
    threshold = settings.MAP_LIGHT_THRESHOLD if max_popups is None else int(max_popups)
    by_district = aggregate_by_district(events)
    by_province = aggregate_by_province(events)
    districts = {
        str(p): [int(e), int(f)]
        for p, e, f in zip(by_district["adm2_pcode"], by_district["events"], by_district["fatalities"], strict=True)
    }
    level = {
        str(p): int(n)
        for p, n in zip(by_province["adm1_pcode"], by_province["province_level_events"], strict=True)
        if n > 0
    }
    bins = _bins(list(by_district[metric]))
    drawable = drawable_mask(events)
    light = int(drawable.sum()) > threshold
    points = events.loc[drawable, ["latitude", "longitude", "group"]]
    if not light:
        source = events if details is None else details
        extra = [c for c in POPUP_COLUMNS if c in source.columns and c not in points.columns]
        points = pd.concat([points, source.loc[points.index, extra]], axis=1)
    rows, place_of = point_rows(points)
    wire = rows.copy()
    # Coordinates as deltas from the previous row (sorted by place): small numbers, few characters.
    wire[:, :2] = np.diff(rows[:, :2], axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    popups = None if light or not len(rows) else _place_popups(points, place_of, int(place_of.max()) + 1)
    present = set(points["group"].astype(str).unique())
    province_level = int(sum(level.values()))
    data: dict[str, Any] = {
        "metric": metric,
        "bins": bins,
        "shades": list(SHADE_COLORS),
        "districts": districts,
        "provinceLevel": level,
        "scale": 10**POINT_DECIMALS,
        "points": encode_varints(wire),
        "popups": popups,
        "groups": [escape_text(g) for g in GROUPS],
        "colors": [GROUP_COLORS[g] for g in GROUPS],
        "legend": legend_html(
            metric=metric,
            bins=bins,
            groups=[g for g in GROUPS if g in present],
            province_level=province_level,
            unplaced=int((~drawable).sum()) - province_level,
            light=light,
        ),
        "emptyNotice": EMPTY_NOTICE if len(events) == 0 else None,
        "total": int(rows[:, 3].sum()) if len(rows) else 0,
    }
    digest = hashlib.blake2b(digest_size=6)
    for key in ("metric", "points", "legend"):
        digest.update(str(data[key]).encode())
    digest.update(json.dumps([districts, level, popups is None]).encode())
    data["version"] = int.from_bytes(digest.digest(), "big")
    return data


#: The columns the map's counts and points read (:func:`map_selection` copies only these for a selection).
SELECTION_COLUMNS: tuple[str, ...] = (
    "event_date",
    "group",
    "adm1_pcode",
    "adm2_pcode",
    "latitude",
    "longitude",
    "geo_precision",
    "fatalities",
    "is_aggregate",
)


@dataclasses.dataclass(frozen=True)
class MapSelection:
    """What the Map page shows for one selection, computed once and shared read-only.

    Attributes
    ----------
    summary : dict
        :func:`geo.filters.summarize` of the selected events (the headline).
    layer : str
        :func:`layer_json` of :func:`event_layer_data` (the map's part of the selection).
    statements : int
        Group statements bundling many attacks that pass the filters (never counted or drawn).
    mask : numpy.ndarray
        Which rows of the events are selected (for a clicked place, downloads).
    """

    summary: dict[str, Any]
    layer: str
    statements: int
    mask: np.ndarray


def map_selection(
    events: pd.DataFrame, filters: Filters, *, metric: str = "events", max_popups: int | None = None
) -> MapSelection:
    """The headline, the map layer and the counts under the map for ``filters``, without copying whole rows.

    Only :data:`SELECTION_COLUMNS` of the selected rows are read (and the popup
    columns of the drawable rows, when they get full popups): for 1M events the
    selection takes a fraction of a second instead of the seconds a full-width
    copy of every column costs.

    Examples
    --------
    >>> from geo.events import load_events
    >>> from geo.filters import apply_filters, summarize
    >>> events, nrf = load_events(), Filters(groups=("NRF",))
    >>> selection = map_selection(events, nrf)
    >>> selection.summary == summarize(apply_filters(events, nrf), filters=nrf)
    True
    """
    mask = filter_mask(events, filters)
    columns = [c for c in SELECTION_COLUMNS if c in events.columns]
    narrow = events[columns] if mask.all() else events.loc[mask, columns]
    threshold = settings.MAP_LIGHT_THRESHOLD if max_popups is None else int(max_popups)
    drawable = drawable_mask(narrow)
    details = None
    if 0 < int(drawable.sum()) <= threshold:
        wanted = [c for c in POPUP_COLUMNS if c in events.columns]
        details = events.loc[narrow.index[drawable], wanted]
    with_statements = filter_mask(events, filters, include_aggregates=True)
    layer = event_layer_data(narrow, metric=metric, max_popups=threshold, details=details)
    return MapSelection(
        summary=summarize(narrow, filters=filters),
        layer=layer_json(layer),
        statements=int((with_statements & aggregate_mask(events)).sum()),
        mask=mask,
    )


def legend_html(
    *,
    metric: str,
    bins: list[float],
    groups: list[str],
    province_level: int,
    unplaced: int,
    light: bool,
) -> str:
    """The legend's content (escaped HTML): shading classes, groups, what the point symbols mean, what is not drawn.

    Examples
    --------
    >>> text = legend_html(metric="events", bins=[1, 2, 5], groups=["NRF"], province_level=3, unplaced=0, light=False)
    >>> "Events per district" in text and "3 events known only to province level" in text
    True
    """
    parts = [f"<b>{escape_text(METRICS[metric])}</b>"]
    for i, lower in enumerate(bins):
        upper = bins[i + 1] - 1 if i + 1 < len(bins) else None
        color = _shade(lower, bins)
        if upper is None:
            label = f"{lower:,}+"
        else:
            label = f"{lower:,}" if upper <= lower else f"{lower:,}–{upper:,}"
        parts.append(f'<span class="it"><span class="sw" style="background:{color}"></span>{label}</span>')
    parts.append('<span class="it"><span class="sw" style="background:#fff"></span>none</span>')
    if groups:
        parts.append("<b>Events by group</b>")
        for g in groups:
            parts.append(
                f'<span class="it"><span class="dot" style="background:{GROUP_COLORS[g]}"></span>{escape_text(g)}</span>'
            )
        parts.append(
            '<br><span class="it"><span class="dot" style="width:16px;height:16px;border-radius:8px;background:#777;'
            'color:#fff;text-align:center;font-size:9px;line-height:16px">7</span>events at one place</span> '
            '<span class="it"><span class="dot" style="width:16px;height:16px;border-radius:8px;background:#fff;'
            'border:4px solid #999;box-sizing:border-box"></span>nearby places: click to zoom</span><br>'
        )
    if province_level:
        parts.append(
            '<span class="sw" style="border:2px dashed #5a2d82;background:transparent"></span>'
            f"{province_level:,} event{'s' if province_level != 1 else ''} known only to province level: "
            "counted under the province's name, not drawn as points<br>"
        )
    if unplaced > 0:
        parts.append(
            f"{unplaced:,} more event{'s' if unplaced != 1 else ''} without a district point "
            "(no coordinates or no district): counted, not drawn<br>"
        )
    if light:
        parts.append("<i>Many events: click a place to list its events below the map.</i>")
    return "".join(parts)
