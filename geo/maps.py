"""folium maps of events: province outlines, districts shaded by events or fatalities, event points.

Pure builders: a frame goes in, a :class:`folium.Map` comes out; the pages
render it with ``st_folium``. Every map goes through :func:`finalize`, which
points its scripts at the vendored copies (:func:`geo.assets.localize`), so a
map with ``basemap="none"`` needs no network at all.

What is drawn, and how:

- provinces: outlines with their names (label and tooltip);
- districts: shaded by the number of filtered events (or reported
  fatalities), with a legend;
- events placed to a named place or a district (``geo_precision`` 1 or 2,
  with coordinates): points coloured by group, clustered when many. Up to
  :data:`geo.settings.MAP_LIGHT_THRESHOLD` events, each point carries its own
  popup. Above it (the *light mode*) identical places are merged, the points
  travel as one compact integer array, and a point's popup shows how many
  events of which group are there; the page lists those events on click
  (``st_folium``'s ``last_object_clicked`` is the point's exact coordinates);
- events known only to province level are never drawn as points: their
  province gets a dashed outline and a count, and the legend says so.

Every string that came from a report is HTML-escaped (:func:`escape_text`)
before it reaches the page, and travels as a JSON string, never as markup
inside a script.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import folium
import numpy as np
import pandas as pd
from branca.element import CssLink, Element, JavascriptLink, MacroElement
from folium.elements import ElementAddToElement, JSCSSMixin
from folium.map import Layer
from folium.plugins import MarkerCluster
from folium.template import Template

from geo import settings
from geo.aggregate import aggregate_by_district, aggregate_by_province
from geo.assets import localize
from geo.errors import InputError
from geo.groups import GROUP_COLORS, GROUP_LABELS, GROUPS
from geo.schema import PRECISION_PROVINCE

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

#: Decimals of the boundary coordinates sent to the browser (1e-4 degree is about 10 m,
#: finer than the 0.001 degree simplification of the display boundaries).
BOUNDARY_DECIMALS = 4

#: Decimals of point coordinates in the light mode (1e-5 degree is about 1 m, so a
#: clicked point still matches its events' own coordinates).
POINT_DECIMALS = 5

#: Sequential colours of the district shading (ColorBrewer YlOrRd, light to dark).
SHADE_COLORS: tuple[str, ...] = ("#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026", "#800026")

#: Outline colours.
PROVINCE_LINE = "#333333"
DISTRICT_LINE = "#8c8c8c"

#: Layer names, as the layer control shows them.
LAYER_PROVINCES = "Province outlines"
LAYER_DISTRICTS = "Districts shaded"
LAYER_PROVINCE_LEVEL = "Events known only to province level"
LAYER_EVENTS = "Events (points)"


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
    "group",
    "actor1",
    "actor2",
    "location",
    "admin1",
    "admin2",
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
        <style>.leaflet-control-attribution {font-size: 10px; line-height: 1.3;}</style>
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


class EventPoints(_RenderOnce, JSCSSMixin, Layer):
    """Event points coloured by group, in a marker cluster when many; popups as JSON strings.

    ``points`` is an (n, 4) integer array ``lat*scale, lon*scale, group index, count``
    (kept as ``self.points``), sent as :func:`encode_varints` of the row-wise
    deltas of lat and lon;
    ``popups`` (optional) holds one escaped HTML string per point. Without
    popups, a point's popup is built in the browser from its count and group.
    """

    default_js = list(MarkerCluster.default_js)
    default_css = list(MarkerCluster.default_css)

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
            {{ this.js_decoder }}
            var scale = {{ this.scale }}, pts = afgVarints({{ this.points_json }}), popups = {{ this.popups_json }};
            var groups = {{ this.groups_json }}, colors = {{ this.colors_json }};
            var layer = {% if this.cluster %}L.markerClusterGroup({chunkedLoading: true, maxClusterRadius: 50}){% else %}L.featureGroup(){% endif %};
            var icons = colors.map(function (c) {
                return L.divIcon({className: "afg-point", iconSize: [12, 12],
                    html: '<span style="display:block;width:12px;height:12px;border-radius:6px;border:1px solid #fff;background:' + c + '"></span>'});
            });
            var markers = [], lat = 0, lon = 0;
            for (var i = 0; i < pts.length; i += 4) {
                lat += pts[i]; lon += pts[i + 1];
                var k = i / 4, g = pts[i + 2], n = pts[i + 3];
                var m = L.marker([lat / scale, lon / scale], {icon: icons[g], title: groups[g] + (n > 1 ? " (" + n + " events)" : "")});
                if (popups) {
                    m.bindPopup(popups[k], {maxWidth: 320});
                } else {
                    m.bindPopup("<b>" + n + " event" + (n === 1 ? "" : "s") + " here</b><br>" + groups[g] +
                        "<br><i>The events at this place are listed below the map.</i>");
                }
                markers.push(m);
            }
            layer.addLayers ? layer.addLayers(markers) : markers.forEach(function (m) { m.addTo(layer); });
            return layer;
        })();
        {% endmacro %}
        """
    )

    def __init__(
        self,
        points: np.ndarray,
        *,
        popups: list[str] | None,
        name: str = LAYER_EVENTS,
        decimals: int = POINT_DECIMALS,
        cluster: bool = True,
    ):
        super().__init__(name=name, overlay=True, control=True, show=True)
        self._name = "EventPoints"
        self.scale = 10**decimals
        self.points = np.asarray(points, dtype=np.int64).reshape(-1, 4)
        wire = self.points.copy()
        # Coordinates as deltas from the previous point (sorted by latitude): small numbers, few characters.
        wire[:, :2] = np.diff(self.points[:, :2], axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
        self.points_json = _json(encode_varints(wire))
        self.js_decoder = _JS_DECODE_VARINTS
        self.popups_json = _json(popups) if popups is not None else "null"
        self.groups_json = _json([escape_text(f"{g}: {GROUP_LABELS[g]}") for g in GROUPS])
        self.colors_json = _json([GROUP_COLORS[g] for g in GROUPS])
        self.cluster = cluster


class Legend(_RenderOnce, MacroElement):
    """A legend control (bottom right) from escaped HTML."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>
            .afg-legend {background: rgba(255,255,255,0.92); padding: 6px 8px; font: 12px/1.35 sans-serif;
                         border-radius: 4px; box-shadow: 0 0 6px rgba(0,0,0,0.3); max-width: 260px;}
            .afg-legend .sw {display: inline-block; width: 14px; height: 10px; margin-right: 4px;
                             border: 1px solid #999; vertical-align: middle;}
            .afg-legend .dot {display: inline-block; width: 10px; height: 10px; border-radius: 5px;
                              margin-right: 4px; vertical-align: middle; border: 1px solid #fff;}
            .afg-label {font: 11px sans-serif; color: #222; white-space: nowrap; text-shadow: 0 0 3px #fff, 0 0 3px #fff;
                        transform: translate(-50%, -50%); pointer-events: none;}
            .afg-label-count {font-weight: bold; color: #5a2d82;}
            .afg-popup-list {max-height: 320px; overflow-y: auto; padding-right: 4px;}
            .afg-popup-list hr {margin: 4px 0;}
        </style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
            (function () {
                var legend = L.control({position: "bottomright"});
                legend.onAdd = function () {
                    var div = L.DomUtil.create("div", "afg-legend");
                    div.innerHTML = {{ this.html_json }};
                    L.DomEvent.disableClickPropagation(div);
                    return div;
                };
                legend.addTo({{ this._parent.get_name() }});
            })();
        {% endmacro %}
        """
    )

    def __init__(self, html_text: str):
        super().__init__()
        self._name = "Legend"
        self.html_json = _json(html_text)


# --------------------------------------------------------------------------- builders


def new_map(*, basemap: str = "osm") -> folium.Map:
    """An empty map of Afghanistan, its scripts served locally.

    Parameters
    ----------
    basemap : {"osm", "none"}, default "osm"
        OpenStreetMap tiles (with their attribution), or no tile layer at all
        (works offline).

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
    >>> m = new_map(basemap="none")  # doctest: +SKIP
    >>> "tile.openstreetmap.org" in m.get_root().render()  # doctest: +SKIP
    False
    """
    if basemap not in BASEMAPS:
        raise InputError(f"expected one of {list(BASEMAPS)}, got {basemap!r}", field="basemap")
    m = folium.Map(
        location=list(AFG_CENTER),
        zoom_start=6,
        tiles=None,
        control_scale=True,
        # Leaflet's own zoom limits (folium's min_zoom/max_zoom only reach tile layers);
        # the marker cluster needs a maxZoom on the map even without tiles.
        minZoom=4,
        maxZoom=MAX_ZOOM,
    )
    if basemap == "osm":
        folium.TileLayer(
            OSM_TILES, attr=OSM_ATTRIBUTION, name="OpenStreetMap", max_zoom=MAX_ZOOM, control=False
        ).add_to(m)
    _Attribution(settings.ATTRIBUTION).add_to(m)
    m.fit_bounds([list(AFG_BOUNDS[0]), list(AFG_BOUNDS[1])])
    return localize(m)


def finalize(m: folium.Map) -> folium.Map:
    """What every map needs before it is rendered: a layer control (once) and local scripts.

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
        folium.LayerControl(collapsed=False, position="topright").add_to(m)
    return localize(m)


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
    if not value or value <= 0:
        return None
    pos = 0
    for i, lower in enumerate(bins):
        if value >= lower:
            pos = i
    return SHADE_COLORS[min(pos, len(SHADE_COLORS) - 1)] if len(bins) > 1 else SHADE_COLORS[3]


def _drawable(events: pd.DataFrame) -> pd.Series:
    """Events drawn as points: coordinates present, placed to a district, not province-level precision."""
    lat = pd.to_numeric(events["latitude"], errors="coerce")
    lon = pd.to_numeric(events["longitude"], errors="coerce")
    adm2 = events["adm2_pcode"].fillna("").astype(str)
    prec = pd.to_numeric(events["geo_precision"], errors="coerce")
    return lat.notna() & lon.notna() & (adm2 != "") & (prec.fillna(0) != PRECISION_PROVINCE)


def event_popup_html(row: pd.Series | dict[str, Any]) -> str:
    """The popup of one event: date, group, target, place as reported, district and province,
    fatalities, claim status and source link. Every value is escaped; the link only for http(s).

    Examples
    --------
    >>> html_text = event_popup_html({"event_date": "2024-03-02", "group": "NRF", "location": "<b>x</b>",
    ...     "source_url": "javascript:alert(1)"})
    >>> "&lt;b&gt;x&lt;/b&gt;" in html_text and "javascript:" not in html_text
    True
    """
    get = row.get
    date = get("event_date")
    date_text = date.date().isoformat() if isinstance(date, pd.Timestamp) else date
    group = str(get("group") or "")
    color = GROUP_COLORS.get(group, GROUP_COLORS["Unknown"])
    fat = get("fatalities")
    fat_text = (
        "not reported"
        if fat is None or fat is pd.NA or (isinstance(fat, float) and math.isnan(fat))
        else escape_text(fat)
    )
    place = ", ".join(x for x in (escape_text(get("admin2")), escape_text(get("admin1"))) if x)
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
        f"District, province: {place or '–'}",
        f"Reported fatalities: {fat_text}",
        f"Claim: {escape_text(get('claim_status')) or '–'}",
        f"Source: {link}",
    ]
    event_id = escape_text(get("event_id"))
    if event_id:
        lines.append(f'<span style="color:#777">{event_id}</span>')
    return '<div class="afg-popup">' + "<br>".join(lines) + "</div>"


def _point_array(events: pd.DataFrame, *, decimals: int, merge: bool) -> tuple[np.ndarray, np.ndarray]:
    """Integer points ``lat, lon, group index, count`` sorted by latitude, and the row positions (no merge)."""
    scale = 10**decimals
    lat = np.round(pd.to_numeric(events["latitude"], errors="coerce").to_numpy(dtype="float64") * scale).astype(
        np.int64
    )
    lon = np.round(pd.to_numeric(events["longitude"], errors="coerce").to_numpy(dtype="float64") * scale).astype(
        np.int64
    )
    codes = {g: i for i, g in enumerate(GROUPS)}
    grp = events["group"].map(codes).fillna(codes["Unknown"]).to_numpy(dtype=np.int64)
    if merge:
        # One int64 key per (lat, lon, group), sorted once: much faster than np.unique(axis=0).
        lat0, lon0 = int(lat.min()), int(lon.min())
        lon_bits = max(1, int(lon.max() - lon0).bit_length())
        lat_bits = max(1, int(lat.max() - lat0).bit_length())
        if lat_bits + lon_bits + 4 <= 62:
            key = (((lat - lat0) << lon_bits) | (lon - lon0)) << 4 | grp
            uniq, counts = np.unique(key, return_counts=True)
            g = uniq & 15
            rest = uniq >> 4
            table = np.column_stack([(rest >> lon_bits) + lat0, (rest & ((1 << lon_bits) - 1)) + lon0, g])
        else:
            table, counts = np.unique(np.stack([lat, lon, grp], axis=1), axis=0, return_counts=True)
        return np.column_stack([table, counts]), np.array([], dtype=np.int64)
    order = np.lexsort((lon, lat))
    pts = np.column_stack([lat[order], lon[order], grp[order], np.ones(len(order), dtype=np.int64)])
    return pts, order


def _places_with_popups(points: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """One marker per place (5 decimals) with the popups of all its events, so none hides another.

    The marker takes the colour of the place's most frequent group; its popup
    lists every event (each with its own group), newest first.
    """
    pts, order = _point_array(points, decimals=POINT_DECIMALS, merge=False)
    records = points[[c for c in POPUP_COLUMNS if c in points.columns]].to_dict(orient="records")
    html_rows = [event_popup_html(records[i]) for i in order]
    dates = points["event_date"].to_numpy()[order]
    new_place = np.r_[True, np.any(pts[1:, :2] != pts[:-1, :2], axis=1)] if len(pts) else np.zeros(0, dtype=bool)
    starts = np.flatnonzero(new_place)
    ends = np.r_[starts[1:], len(pts)]
    merged, popups = [], []
    for a, b in zip(starts, ends, strict=True):
        groups = pts[a:b, 2]
        merged.append([pts[a, 0], pts[a, 1], int(np.bincount(groups).argmax()), b - a])
        if b - a == 1:
            popups.append(html_rows[a])
            continue
        dated = sorted((i for i in range(a, b) if not pd.isna(dates[i])), key=lambda i: dates[i], reverse=True)
        newest_first = dated + [i for i in range(a, b) if pd.isna(dates[i])]
        popups.append(
            f'<div class="afg-popup-list"><b>{b - a} events at this place</b><hr>'
            + "<hr>".join(html_rows[i] for i in newest_first)
            + "</div>"
        )
    return np.array(merged, dtype=np.int64).reshape(-1, 4), popups


def build_event_map(
    events: pd.DataFrame,
    *,
    provinces: Any,
    districts: Any,
    metric: str = "events",
    basemap: str = "osm",
    max_points: int | None = None,
) -> folium.Map:
    """The event map: province outlines, shaded districts, event points, province-level marks, legend.

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
        Above this many drawable events, use the light mode (merged places,
        compact array, popups with counts). Default :data:`geo.settings.MAP_LIGHT_THRESHOLD`.

    Returns
    -------
    folium.Map
        Pass it through :func:`finalize` before rendering.

    Raises
    ------
    InputError
        For an unknown metric or basemap, or boundaries without ``pcode``/``geometry``.

    Examples
    --------
    >>> from geo.boundaries import load_districts, load_provinces
    >>> from geo.events import load_events
    >>> from geo.filters import Filters, apply_filters
    >>> events = apply_filters(load_events(), Filters(groups=("NRF",)))
    >>> m = finalize(build_event_map(events, provinces=load_provinces(simplified=True),
    ...     districts=load_districts(simplified=True), basemap="none"))  # doctest: +SKIP
    """
    if metric not in METRICS:
        raise InputError(f"expected one of {list(METRICS)}, got {metric!r}", field="metric")
    for label, frame in (("provinces", provinces), ("districts", districts)):
        missing = [c for c in ("pcode", "name_en", "geometry") if c not in frame.columns]
        if missing:
            raise InputError(f"{label} boundaries lack column(s) {missing}", field=missing[0])
    threshold = settings.MAP_LIGHT_THRESHOLD if max_points is None else int(max_points)

    m = new_map(basemap=basemap)
    by_district = aggregate_by_district(events)
    by_province = aggregate_by_province(events)
    province_names = dict(zip(provinces["pcode"], provinces["name_en"], strict=True))

    # Districts shaded by the metric.
    values = dict(zip(by_district["adm2_pcode"], by_district[metric], strict=True))
    other = "fatalities" if metric == "events" else "events"
    others = dict(zip(by_district["adm2_pcode"], by_district[other], strict=True))
    bins = _bins(list(values.values()))
    district_features = []
    for pcode, name, adm1, geom in zip(
        districts["pcode"],
        districts["name_en"],
        districts.get("adm1_pcode", districts["pcode"].str[:4]),
        districts.geometry,
        strict=True,
    ):
        value = int(values.get(pcode, 0))
        fill = _shade(value, bins)
        style = {
            "color": DISTRICT_LINE,
            "weight": 0.6,
            "fillColor": fill or "#ffffff",
            "fillOpacity": 0.7 if fill else 0.0,
        }
        n_events = value if metric == "events" else int(others.get(pcode, 0))
        n_fat = value if metric == "fatalities" else int(others.get(pcode, 0))
        tip = (
            f"<b>{escape_text(name)}</b> ({escape_text(province_names.get(adm1, adm1))})<br>"
            f"{n_events:,} event{'s' if n_events != 1 else ''} · {n_fat:,} reported fatalities"
        )
        district_features.append((geom, style, tip, None))
    CompactPolygons(district_features, name=LAYER_DISTRICTS).add_to(m)

    # Province outlines with names.
    prov_features = []
    for name, geom in zip(provinces["name_en"], provinces.geometry, strict=True):
        point = geom.representative_point()
        style = {"color": PROVINCE_LINE, "weight": 1.4, "fill": False}
        prov_features.append(
            (geom, style, f"<b>{escape_text(name)}</b> province", (escape_text(name), point.y, point.x))
        )
    CompactPolygons(prov_features, name=LAYER_PROVINCES).add_to(m)

    # Events known only to province level: dashed province outline with a count, never a point.
    level_counts = dict(zip(by_province["adm1_pcode"], by_province["province_level_events"], strict=True))
    level_features = []
    geoms = dict(zip(provinces["pcode"], provinces.geometry, strict=True))
    for pcode, count in sorted(level_counts.items()):
        if count <= 0 or pcode not in geoms:
            continue
        geom = geoms[pcode]
        point = geom.representative_point()
        style = {"color": "#5a2d82", "weight": 2.5, "dashArray": "6 5", "fillColor": "#5a2d82", "fillOpacity": 0.08}
        name = escape_text(province_names.get(pcode, pcode))
        tip = (
            f"<b>{name}</b>: {int(count):,} event{'s' if count != 1 else ''} known only to province level "
            "(not drawn as points)"
        )
        label = (f'<span class="afg-label-count">{int(count):,} in province</span>', point.y - 0.12, point.x)
        level_features.append((geom, style, tip, label))
    if level_features:
        CompactPolygons(level_features, name=LAYER_PROVINCE_LEVEL).add_to(m)

    # Event points.
    drawable = _drawable(events)
    points = events.loc[drawable.to_numpy()]
    light = len(points) > threshold
    if len(points):
        if light:
            pts, _ = _point_array(points, decimals=POINT_DECIMALS, merge=True)
            EventPoints(pts, popups=None, cluster=True).add_to(m)
        else:
            pts, popups = _places_with_popups(points)
            EventPoints(pts, popups=popups, cluster=len(points) > 50).add_to(m)

    present_groups = set(points["group"].astype(str).unique())
    Legend(
        _legend_html(
            metric=metric,
            bins=bins,
            groups=[g for g in GROUPS if g in present_groups],
            province_level=int(sum(level_counts.values())),
            unplaced=int((~drawable).sum()) - int(sum(level_counts.values())),
            light=light,
        )
    ).add_to(m)
    return m


def _legend_html(
    *,
    metric: str,
    bins: list[float],
    groups: list[str],
    province_level: int,
    unplaced: int,
    light: bool,
) -> str:
    parts = [f"<b>{escape_text(METRICS[metric])}</b><br>"]
    for i, lower in enumerate(bins):
        upper = bins[i + 1] - 1 if i + 1 < len(bins) else None
        color = _shade(lower, bins)
        if upper is None:
            label = f"{lower:,}+"
        else:
            label = f"{lower:,}" if upper <= lower else f"{lower:,}–{upper:,}"
        parts.append(f'<span class="sw" style="background:{color}"></span>{label}<br>')
    parts.append('<span class="sw" style="background:#fff"></span>none<br>')
    if groups:
        parts.append("<b>Events by group</b><br>")
        for g in groups:
            parts.append(f'<span class="dot" style="background:{GROUP_COLORS[g]}"></span>{escape_text(g)}<br>')
    if province_level:
        parts.append(
            '<span class="sw" style="border:2px dashed #5a2d82;background:transparent"></span>'
            f"{province_level:,} event{'s' if province_level != 1 else ''} known only to province level: "
            "province outlined, not drawn as points<br>"
        )
    if unplaced > 0:
        parts.append(
            f"{unplaced:,} more event{'s' if unplaced != 1 else ''} without a district point "
            "(no coordinates or no district): counted, not drawn<br>"
        )
    if light:
        parts.append("<i>Many events: identical places are merged; click a point to list its events below the map.</i>")
    return "".join(parts)
