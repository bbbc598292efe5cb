/* Afghanistan Resistance Map: the browser side of the event map (Leaflet 1.9, no other library).
 *
 * Published by geo.assets.publish_file() to /app/static/generated/afgmap-<hash>.js and loaded by the
 * map's iframe after Leaflet. The map is built in two parts (geo/maps.py):
 *
 *   AfgMap.init(map, config)  once per map: boundaries (from window.AFG_BOUNDARIES, a cached static file),
 *                             province labels, the canvas event layer, legend, notices, layer control,
 *                             offline detection for the tile layer;
 *   AfgMap.update(data)       on every filter change: district shading, province-level counts, the events
 *                             (an integer stream), legend text. Only this part travels on a filter change.
 *
 * Events are drawn on one canvas and clustered here, per zoom level, on a grid of CELL pixels (typed
 * arrays and one Map per level: 1M points in about 0.2 s), instead of one DOM marker per event.
 * Every string shown comes from the server already HTML-escaped (geo.maps.escape_text).
 */
(function () {
  "use strict";
  var A = (window.AfgMap = window.AfgMap || {});

  // --------------------------------------------------------------------- decoding

  /** Decode geo.maps.encode_varints (the polyline scheme: 5 bits a character, zigzag sign). */
  A.decode = function (s) {
    var out = new Float64Array(s.length), n = 0, i = 0, len = s.length;
    while (i < len) {
      var b, shift = 1, res = 0;
      do {
        b = s.charCodeAt(i++) - 63;
        res += (b & 31) * shift;
        shift *= 32;
      } while (b >= 32);
      out[n++] = res % 2 ? -(res + 1) / 2 : res / 2;
    }
    return out.subarray(0, n);
  };

  function ringsOf(shape, scale) {
    // shape: list of polygons, each a list of rings (varint strings of x/y deltas) -> Leaflet latlngs.
    return shape.map(function (poly) {
      return poly.map(function (text) {
        var flat = A.decode(text), out = new Array(flat.length / 2), x = 0, y = 0;
        for (var i = 0, k = 0; i < flat.length; i += 2, k++) {
          x += flat[i];
          y += flat[i + 1];
          out[k] = [y / scale, x / scale];
        }
        return out;
      });
    });
  }

  function formatCount(n) {
    if (n < 1000) return String(n);
    if (n < 10000) return (Math.floor(n / 100) / 10).toFixed(1).replace(/\.0$/, "") + "k";
    if (n < 1e6) return Math.floor(n / 1000) + "k";
    return (Math.floor(n / 1e5) / 10).toFixed(1).replace(/\.0$/, "") + "M";
  }
  A.formatCount = formatCount;

  var CSS = [
    // Leaflet places the label's (empty) box at its point; the text inside is centred on it.
    ".afg-label{width:0!important;height:0!important;pointer-events:none}",
    ".afg-label-in{position:absolute;transform:translate(-50%,-50%);font:11px/1.25 sans-serif;color:#222;",
    "white-space:nowrap;text-align:center;text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 2px #fff}",
    ".afg-label .afg-badge{display:block;font-weight:bold;color:#5a2d82;font-size:10.5px}",
    ".afg-label .afg-badge[hidden]{display:none}",
    ".afg-label.afg-hidden{visibility:hidden}",
    // In the Map page's frame (streamlit-folium's #map_div) the map fills the frame, whose height the page
    // fits to the screen (pages/map.py); streamlit-folium's frame is 10 px taller than its map.
    "#map_div.leaflet-container{height:calc(100vh - 10px)!important}",
    ".afg-legend{background:rgba(255,255,255,.94);font:12px/1.35 sans-serif;border-radius:4px;",
    "box-shadow:0 0 6px rgba(0,0,0,.3);max-width:250px}",
    ".afg-legend button.afg-fold{all:unset;cursor:pointer;display:block;padding:5px 8px;font-weight:bold;width:100%;box-sizing:border-box}",
    ".afg-legend button.afg-fold:focus-visible{outline:2px solid #1f78b4}",
    ".afg-legend .afg-legend-body{padding:0 8px 6px;max-height:45vh;overflow-y:auto}",
    ".afg-legend.afg-folded .afg-legend-body{display:none}",
    ".afg-legend .sw{display:inline-block;width:14px;height:10px;margin-right:4px;border:1px solid #999;vertical-align:middle}",
    ".afg-legend .dot{display:inline-block;width:10px;height:10px;border-radius:5px;margin-right:4px;vertical-align:middle;border:1px solid #fff}",
    ".afg-notice{position:absolute;z-index:1000;top:10px;left:60px;right:66px;margin:0 auto;max-width:420px;",
    "background:#fff8e1;border:1px solid #e0b000;border-radius:4px;padding:6px 10px;font:12.5px/1.35 sans-serif;",
    "box-shadow:0 1px 4px rgba(0,0,0,.25);pointer-events:auto}",
    ".afg-notice[hidden]{display:none}",
    ".afg-notice p{margin:0}.afg-notice p+p{margin-top:4px}",
    ".afg-popup-list{padding-right:4px}.afg-popup-list hr{margin:4px 0}",
    ".afg-events-pane{pointer-events:none}",
    ".leaflet-control-attribution{font-size:10px;line-height:1.3}",
    ".afg-legend .it{display:inline-block;margin-right:7px;white-space:nowrap}",
    ".afg-legend .afg-legend-body b{display:block;margin-top:3px}",
    // Phones: a narrower legend (the one-line attribution is geo.maps._Attribution's, for every map).
    "@media (max-width:640px){.afg-legend{max-width:210px;font-size:11px}}",
  ].join("");

  // --------------------------------------------------------------------- the canvas event layer

  var CELL = 60; // grid cell of the clustering, in screen pixels
  var PAD = 0.25; // the canvas covers the view plus this share on each side, so a pan shows drawn points

  /**
   * Events on a canvas, clustered per zoom level on a grid. Data: rows of (lat, lon, group, count), one per
   * distinct (place, group), sorted by place; `popups` (optional) one HTML per place.
   */
  var EventLayer = L.Layer.extend({
    options: { pane: "afgEvents", maxZoom: 16 },

    initialize: function (config) {
      L.setOptions(this, config.options || {});
      this._config = config;
      this._setEmpty();
    },

    _setEmpty: function () {
      this._n = 0;
      this._levels = {};
      this._drawn = null;
      this._places = 0;
    },

    setData: function (data) {
      var t0 = performance.now();
      var flat = A.decode(data.points || ""), n = flat.length / 4;
      var scale = data.scale;
      var lat = new Float64Array(n), lon = new Float64Array(n), grp = new Uint8Array(n), cnt = new Float64Array(n);
      var mx = new Float64Array(n), my = new Float64Array(n), place = new Int32Array(n);
      var la = 0, lo = 0, p = -1, prevLa = NaN, prevLo = NaN, d2r = Math.PI / 180;
      for (var i = 0, k = 0; i < n; i++, k += 4) {
        la += flat[k];
        lo += flat[k + 1];
        lat[i] = la / scale;
        lon[i] = lo / scale;
        grp[i] = flat[k + 2];
        cnt[i] = flat[k + 3];
        if (la !== prevLa || lo !== prevLo) p++;
        place[i] = p;
        prevLa = la;
        prevLo = lo;
        var s = Math.sin(lat[i] * d2r);
        mx[i] = lon[i] / 360 + 0.5;
        my[i] = 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI);
      }
      this._n = n;
      this._lat = lat;
      this._lon = lon;
      this._grp = grp;
      this._cnt = cnt;
      this._mx = mx;
      this._my = my;
      this._place = place;
      this._places = p + 1;
      this._popups = data.popups || null;
      this._groups = data.groups;
      this._colors = data.colors;
      this._levels = {};
      this.decodeMs = performance.now() - t0;
      if (this._map) this._reset();
    },

    /** The clusters of one zoom level (computed once, then kept). */
    level: function (z) {
      if (this._levels[z]) return this._levels[z];
      var t0 = performance.now();
      var n = this._n, G = this._colors ? this._colors.length : 1;
      var cid = new Int32Array(n), ids = new Map(), k = 0, world = (256 * Math.pow(2, z)) / CELL;
      var byPlace = z >= this.options.maxZoom; // the closest zoom: every place on its own
      var width = Math.ceil(world) + 1;
      for (var i = 0; i < n; i++) {
        var key = byPlace ? this._place[i] : Math.floor(this._mx[i] * world) * width + Math.floor(this._my[i] * world);
        var c = ids.get(key);
        if (c === undefined) {
          c = k++;
          ids.set(key, c);
        }
        cid[i] = c;
      }
      var total = new Float64Array(k), sx = new Float64Array(k), sy = new Float64Array(k);
      var groups = new Float64Array(k * G), first = new Int32Array(k).fill(-1), single = new Uint8Array(k).fill(1);
      var s, w;
      for (i = 0; i < n; i++) {
        s = cid[i];
        w = this._cnt[i];
        total[s] += w;
        sx[s] += this._mx[i] * w;
        sy[s] += this._my[i] * w;
        groups[s * G + this._grp[i]] += w;
        if (first[s] < 0) first[s] = i;
        else if (this._place[first[s]] !== this._place[i]) single[s] = 0;
      }
      for (s = 0; s < k; s++) {
        if (single[s]) {
          sx[s] = this._mx[first[s]];
          sy[s] = this._my[first[s]];
        } else {
          sx[s] /= total[s];
          sy[s] /= total[s];
        }
      }
      var lvl = { k: k, cid: cid, total: total, x: sx, y: sy, groups: groups, first: first, single: single, G: G };
      lvl.ms = performance.now() - t0;
      this._levels[z] = lvl;
      return lvl;
    },

    onAdd: function (map) {
      if (!map.getPane(this.options.pane)) {
        var pane = map.createPane(this.options.pane);
        pane.style.zIndex = 450; // above the district polygons (400), below labels and popups
        pane.classList.add("afg-events-pane");
      }
      this._canvas = L.DomUtil.create("canvas", "afg-events-canvas leaflet-zoom-hide");
      this.getPane().appendChild(this._canvas);
      map.on("moveend zoomend resize viewreset", this._reset, this);
      map.on("preclick", this._onPreClick, this);
      map.on("click", this._onClick, this);
      map.on("mousemove", this._onMove, this);
      this._reset();
    },

    onRemove: function (map) {
      L.DomUtil.remove(this._canvas);
      map.off("moveend zoomend resize viewreset", this._reset, this);
      map.off("preclick", this._onPreClick, this);
      map.off("click", this._onClick, this);
      map.off("mousemove", this._onMove, this);
      this._drawn = null;
    },

    _reset: function () {
      var map = this._map;
      if (!map || !this._canvas) return;
      var size = map.getSize(), pad = size.multiplyBy(PAD).round();
      var topLeft = map.containerPointToLayerPoint(pad.multiplyBy(-1)).round();
      var w = size.x + 2 * pad.x, h = size.y + 2 * pad.y, ratio = window.devicePixelRatio || 1;
      L.DomUtil.setPosition(this._canvas, topLeft);
      this._canvas.width = Math.round(w * ratio);
      this._canvas.height = Math.round(h * ratio);
      this._canvas.style.width = w + "px";
      this._canvas.style.height = h + "px";
      this._topLeft = topLeft;
      this._draw(w, h, ratio);
    },

    _draw: function (w, h, ratio) {
      var map = this._map, ctx = this._canvas.getContext("2d");
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.clearRect(0, 0, w, h);
      var drawn = { x: [], y: [], r: [], c: [] };
      this._drawn = drawn;
      this._zoom = map.getZoom();
      if (!this._n) return;
      var z = this._zoom, lvl = this.level(z), scale = 256 * Math.pow(2, z);
      var origin = map.getPixelOrigin(), ox = origin.x + this._topLeft.x, oy = origin.y + this._topLeft.y;
      var t0 = performance.now(), G = lvl.G, colors = this._colors, maxR = 34;
      // Smaller clusters first, so the large ones (and their numbers) stay on top.
      var order = [];
      for (var s = 0; s < lvl.k; s++) {
        var x = lvl.x[s] * scale - ox, y = lvl.y[s] * scale - oy;
        if (x < -maxR || y < -maxR || x > w + maxR || y > h + maxR) continue;
        order.push(s);
      }
      order.sort(function (a, b) {
        return lvl.total[a] - lvl.total[b];
      });
      ctx.lineWidth = 1.5;
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      for (var j = 0; j < order.length; j++) {
        s = order[j];
        x = lvl.x[s] * scale - ox;
        y = lvl.y[s] * scale - oy;
        var total = lvl.total[s], single = lvl.single[s], r;
        if (single && total === 1) {
          r = 6;
          ctx.beginPath();
          ctx.arc(x, y, r, 0, 2 * Math.PI);
          ctx.fillStyle = colors[this._grp[lvl.first[s]]];
          ctx.fill();
          ctx.strokeStyle = "#fff";
          ctx.stroke();
        } else {
          // Stacked events at one place: a solid disc with the count; nearby places: a ring with the count.
          r = single ? 8 + Math.min(5, 2 * Math.log10(total)) : 13 + Math.min(18, 4 * Math.log10(total));
          var start = -Math.PI / 2;
          for (var g = 0; g < G; g++) {
            var part = lvl.groups[s * G + g];
            if (!part) continue;
            var end = start + (2 * Math.PI * part) / total;
            ctx.beginPath();
            ctx.moveTo(x, y);
            ctx.arc(x, y, r, start, end);
            ctx.closePath();
            ctx.fillStyle = colors[g];
            ctx.fill();
            start = end;
          }
          ctx.beginPath();
          ctx.arc(x, y, r, 0, 2 * Math.PI);
          ctx.strokeStyle = "#fff";
          ctx.stroke();
          var label = formatCount(total);
          if (!single) {
            ctx.beginPath();
            ctx.arc(x, y, r * 0.62, 0, 2 * Math.PI);
            ctx.fillStyle = "rgba(255,255,255,0.92)";
            ctx.fill();
            ctx.fillStyle = "#222";
          } else {
            ctx.fillStyle = "#fff";
          }
          ctx.font = "bold " + (label.length > 3 ? 10 : 11) + "px sans-serif";
          if (single) {
            ctx.strokeStyle = "rgba(0,0,0,0.55)";
            ctx.lineWidth = 2.5;
            ctx.strokeText(label, x, y + 0.5);
            ctx.lineWidth = 1.5;
          }
          ctx.fillText(label, x, y + 0.5);
        }
        drawn.x.push(x);
        drawn.y.push(y);
        drawn.r.push(r);
        drawn.c.push(s);
      }
      this.drawMs = performance.now() - t0;
      this.drawnCount = order.length;
      if (this._onDrawn) this._onDrawn();
    },

    /** The drawn cluster under a container point (the topmost one), or -1. */
    hit: function (containerPoint) {
      var d = this._drawn;
      if (!d || !this._topLeft) return -1;
      var p = this._map.containerPointToLayerPoint(containerPoint), x = p.x - this._topLeft.x, y = p.y - this._topLeft.y;
      for (var j = d.c.length - 1; j >= 0; j--) {
        var dx = x - d.x[j], dy = y - d.y[j], r = d.r[j] + 2;
        if (dx * dx + dy * dy <= r * r) return d.c[j];
      }
      return -1;
    },

    /** What a drawn cluster holds: place(s), counts per group, bounds (for tests and the click). */
    describe: function (s) {
      var lvl = this.level(this._zoom), G = lvl.G, out = { total: lvl.total[s], single: !!lvl.single[s], groups: {} };
      for (var g = 0; g < G; g++) if (lvl.groups[s * G + g]) out.groups[this._groups[g]] = lvl.groups[s * G + g];
      var i0 = lvl.first[s];
      out.lat = this._lat[i0];
      out.lng = this._lon[i0];
      out.place = this._place[i0];
      if (!out.single) {
        var south = 90, north = -90, west = 180, east = -180;
        for (var i = 0; i < this._n; i++) {
          if (lvl.cid[i] !== s) continue;
          south = Math.min(south, this._lat[i]);
          north = Math.max(north, this._lat[i]);
          west = Math.min(west, this._lon[i]);
          east = Math.max(east, this._lon[i]);
        }
        out.bounds = [[south, west], [north, east]];
      }
      return out;
    },

    _onPreClick: function () {
      // Remember what streamlit-folium last reported, so a click that only zooms into a cluster
      // does not also report the district polygon underneath (no rerun for a zoom).
      var g = window.__GLOBAL_DATA__;
      this._before = g ? { obj: g.last_object_clicked, n: g.last_object_clicked_count } : null;
    },

    _onClick: function (e) {
      var s = this.hit(e.containerPoint);
      if (s < 0) return;
      var info = this.describe(s), map = this._map;
      if (!info.single) {
        var g = window.__GLOBAL_DATA__;
        if (g && this._before) {
          g.last_object_clicked = this._before.obj;
          g.last_object_clicked_count = this._before.n;
        }
        var bounds = L.latLngBounds(info.bounds), target = Math.min(map.getBoundsZoom(bounds.pad(0.2)), this.options.maxZoom);
        map.setView(bounds.getCenter(), Math.max(target, map.getZoom() + 1));
        return;
      }
      var latlng = L.latLng(info.lat, info.lng), size = map.getSize();
      // Within the map on a phone too: narrower than the map, at most 60 % of its height (the list scrolls).
      L.popup({
        maxWidth: Math.min(340, size.x - 80),
        minWidth: Math.min(200, size.x - 80),
        maxHeight: Math.max(160, Math.round(size.y * 0.6)),
        autoPanPadding: [12, 12],
      })
        .setLatLng(latlng)
        .setContent(this.popupHtml(info))
        .openOn(map);
      // Report the place's own coordinates (the page lists the events there below the map).
      this.fire("click", { latlng: latlng, originalEvent: e.originalEvent });
    },

    popupHtml: function (info) {
      if (this._popups && this._popups[info.place]) return this._popups[info.place];
      var parts = [];
      for (var name in info.groups) parts.push(name + ": " + formatCount(info.groups[name]));
      return (
        '<div class="afg-popup"><b>' + formatCount(info.total) + " event" + (info.total === 1 ? "" : "s") +
        " at this place</b><br>" + parts.join("<br>") +
        "<br><i>The events at this place are listed below the map.</i></div>"
      );
    },

    _onMove: function (e) {
      if (this._moveQueued) return;
      this._moveQueued = true;
      var self = this;
      L.Util.requestAnimFrame(function () {
        self._moveQueued = false;
        if (!self._map) return;
        var over = self.hit(e.containerPoint) >= 0;
        self._map.getContainer().style.cursor = over ? "pointer" : "";
      });
    },
  });
  A.EventLayer = EventLayer;

  // --------------------------------------------------------------------- controls

  var Legend = L.Control.extend({
    options: { position: "bottomright" },
    onAdd: function () {
      var div = L.DomUtil.create("div", "afg-legend leaflet-control");
      var button = L.DomUtil.create("button", "afg-fold", div);
      button.type = "button";
      this._body = L.DomUtil.create("div", "afg-legend-body", div);
      this._button = button;
      this._div = div;
      var self = this;
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      L.DomEvent.on(button, "click", function () {
        self.setFolded(!self._folded);
      });
      this.setFolded(!!this.options.folded);
      return div;
    },
    setFolded: function (folded) {
      this._folded = folded;
      this._div.classList.toggle("afg-folded", folded);
      this._button.setAttribute("aria-expanded", String(!folded));
      this._button.innerHTML = (folded ? "&#9656; " : "&#9662; ") + "Legend";
    },
    setContent: function (html) {
      this._body.innerHTML = html;
    },
  });

  function Notice(map) {
    var div = L.DomUtil.create("div", "afg-notice", map.getContainer());
    div.setAttribute("role", "status");
    div.hidden = true;
    L.DomEvent.disableClickPropagation(div);
    var messages = {};
    function render() {
      var keys = Object.keys(messages);
      div.innerHTML = keys.map(function (k) { return '<p data-notice="' + k + '">' + messages[k] + "</p>"; }).join("");
      div.hidden = keys.length === 0;
    }
    return {
      el: div,
      set: function (key, html) {
        if (html) messages[key] = html;
        else delete messages[key];
        render();
      },
    };
  }

  // --------------------------------------------------------------------- labels

  /** The boxes (container pixels, [left, top, right, bottom]) of the discs and rings the event canvas drew. */
  function markerBoxes(map) {
    var ev = A.state && A.state.events, d = ev && ev._drawn, out = [];
    if (!d || !ev._topLeft || !map.hasLayer(ev)) return out;
    for (var j = 0; j < d.c.length; j++) {
      var p = map.layerPointToContainerPoint([d.x[j] + ev._topLeft.x, d.y[j] + ev._topLeft.y]), r = d.r[j] + 2;
      out.push([p.x - r, p.y - r, p.x + r, p.y + r]);
    }
    return out;
  }
  A.markerBoxes = markerBoxes;

  /** The boxes of the map's controls and notices (zoom, layers, legend, scale, attribution), container pixels. */
  function controlBoxes(map) {
    var frame = map.getContainer(), origin = frame.getBoundingClientRect(), out = [];
    frame.querySelectorAll(".leaflet-control, .afg-notice").forEach(function (el) {
      var r = el.getBoundingClientRect();
      if (r.width && r.height) out.push([r.left - origin.left, r.top - origin.top, r.right - origin.left, r.bottom - origin.top]);
    });
    return out;
  }

  /** Whether a point lies inside a Leaflet polygon's latlngs (even-odd rule over every ring). */
  function inside(latlngs, ll) {
    var rings = [];
    (function collect(a) {
      if (a.length && a[0] instanceof L.LatLng) rings.push(a);
      else a.forEach(collect);
    })(latlngs);
    var x = ll.lng, y = ll.lat, odd = false;
    rings.forEach(function (ring) {
      for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        var a = ring[i], b = ring[j];
        if (a.lat > y !== b.lat > y && x < ((b.lng - a.lng) * (y - a.lat)) / (b.lat - a.lat) + a.lng) odd = !odd;
      }
    });
    return odd;
  }

  // Where a label may move when its place is taken (multiples of half its height / a quarter of its width),
  // nearest first; it stays inside its province.
  var OFFSETS = (function () {
    var out = [];
    for (var i = -5; i <= 5; i++) for (var k = -3; k <= 3; k++) out.push([k, i]);
    return out.sort(function (a, b) {
      return a[0] * a[0] + a[1] * a[1] - (b[0] * b[0] + b[1] * b[1]);
    });
  })();

  /** Place the province labels clear of the drawn events, the controls and each other (labels with a badge first,
   *  then larger provinces): each at its point if free, else at the nearest free spot inside its province
   *  (within a few label heights), else hidden. Boxes come from each label's point on the map and its
   *  text's size, not from where the DOM happens to be at the moment. Returns false when a label could
   *  not be measured yet (the frame not laid out): call again later. */
  function declutter(labels) {
    var measured = true, map = A.state && A.state.map;
    if (!map) return false;
    var boxes = markerBoxes(map).concat(controlBoxes(map)), size = map.getSize();
    var order = labels.slice().sort(function (a, b) {
      return (b.badge ? 1 : 0) - (a.badge ? 1 : 0) || b.area - a.area;
    });
    function free(box) {
      return !boxes.some(function (b) {
        return box[0] < b[2] && box[2] > b[0] && box[1] < b[3] && box[3] > b[1];
      });
    }
    order.forEach(function (lab) {
      var el = lab.marker.getElement(), inner = el && el.firstElementChild;
      if (!inner) return;
      var w = inner.offsetWidth, h = inner.offsetHeight;
      if (!w) {
        measured = false;
        return;
      }
      var p = map.latLngToContainerPoint(lab.marker.getLatLng()), stepX = w / 4, stepY = h / 2 + 1, found = null;
      // A label whose point is in view stays whole in view (not cut by the frame's edge).
      var inView = p.x >= 0 && p.y >= 0 && p.x <= size.x && p.y <= size.y;
      for (var i = 0; i < OFFSETS.length && !found; i++) {
        var dx = OFFSETS[i][0] * stepX, dy = OFFSETS[i][1] * stepY, x = p.x + dx, y = p.y + dy;
        var box = [x - w / 2 - 2, y - h / 2 - 1, x + w / 2 + 2, y + h / 2 + 1];
        if (!free(box)) continue;
        if (inView && (box[0] < 0 || box[1] < 0 || box[2] > size.x || box[3] > size.y)) continue;
        if (i && lab.province && !inside(lab.province.getLatLngs(), map.containerPointToLatLng([x, y]))) continue;
        found = { box: box, dx: dx, dy: dy };
      }
      el.classList.toggle("afg-hidden", !found);
      if (!found) return;
      inner.style.transform = "translate(calc(-50% + " + found.dx + "px), calc(-50% + " + found.dy + "px))";
      lab.offset = [found.dx, found.dy];
      boxes.push(found.box);
    });
    return measured;
  }
  A.declutter = declutter;

  /** Declutter now and, until every label could be measured, again a little later (at most 2 s). */
  function declutterSoon(labels, tries) {
    if (!declutter(labels) && (tries || 0) < 20) {
      setTimeout(function () {
        declutterSoon(labels, (tries || 0) + 1);
      }, 100);
    }
  }

  // --------------------------------------------------------------------- the map

  A.init = function (map, config) {
    if (!document.getElementById("afg-style")) {
      var style = document.createElement("style");
      style.id = "afg-style";
      style.textContent = CSS;
      document.head.appendChild(style);
    }
    var data = window.AFG_BOUNDARIES;
    var state = { map: map, config: config, updates: 0, versions: [] };
    A.state = state;
    var narrow = map.getSize().x < 640;

    // Districts: shaded by update(); provinces: outlines with a label (and a count of province-level events).
    var districts = L.featureGroup(), provinces = L.featureGroup();
    state.districts = {};
    data.districts.forEach(function (d) {
      var poly = L.polygon(ringsOf(d.g, data.scale), { color: "#8c8c8c", weight: 0.6, fillColor: "#ffffff", fillOpacity: 0 });
      poly.bindTooltip("<b>" + d.n + "</b> (" + d.pn + ")", { sticky: true });
      poly.addTo(districts);
      state.districts[d.p] = { layer: poly, name: d.n, province: d.pn };
    });
    state.provinces = {};
    state.labels = [];
    data.provinces.forEach(function (p) {
      var poly = L.polygon(ringsOf(p.g, data.scale), { color: "#333333", weight: 1.4, fill: false });
      poly.bindTooltip("<b>" + p.t + "</b> province", { sticky: true });
      poly.addTo(provinces);
      var el = '<div class="afg-label-in"><span class="afg-name">' + p.n + '</span><span class="afg-badge" hidden></span></div>';
      var marker = L.marker(p.l, {
        icon: L.divIcon({ className: "afg-label", html: el, iconSize: null }),
        interactive: false,
        keyboard: false,
      }).addTo(provinces);
      var label = { marker: marker, badge: 0, area: p.a, province: poly };
      state.labels.push(label);
      state.provinces[p.p] = { layer: poly, label: label, name: p.t };
    });
    districts.addTo(map);
    provinces.addTo(map);

    var events = new EventLayer({ options: { maxZoom: config.maxZoom || 16 } });
    events.addTo(map);
    state.events = events;
    // Labels keep clear of the events: placed again whenever the events are drawn (move, zoom, new data).
    events._onDrawn = function () {
      declutterSoon(state.labels);
    };
    map.on("overlayadd overlayremove", function () {
      declutterSoon(state.labels);
    });

    var legend = new Legend({ folded: narrow });
    legend.addTo(map);
    state.legend = legend;
    state.notice = Notice(map);

    var overlays = {};
    overlays[config.layers.districts] = districts;
    overlays[config.layers.provinces] = provinces;
    overlays[config.layers.events] = events;
    state.control = L.control.layers(null, overlays, { collapsed: true, position: "topright" }).addTo(map);

    map.on("zoomend resize", function () {
      declutterSoon(state.labels);
    });

    // Fit the country to the map's real size (the frame's width is known only once it is laid out),
    // until the user moves the map themselves.
    state.bounds = L.latLngBounds(config.bounds);
    state.touched = false;
    var container = map.getContainer();
    ["pointerdown", "wheel", "keydown", "touchstart"].forEach(function (type) {
      container.addEventListener(type, function () { state.touched = true; }, { passive: true });
    });
    state.fit = function () {
      if (state.touched) return;
      map.invalidateSize(false);
      map.fitBounds(state.bounds, { padding: [6, 6], animate: false });
    };
    map.on("resize", state.fit);
    state.fit();

    // Tiles that never load (no network): drop the basemap and say so, instead of a silent grey map.
    map.eachLayer(function (layer) {
      if (layer instanceof L.TileLayer) watchTiles(map, layer, state, config);
    });
    state.readyAt = null;
    return state;
  };

  function watchTiles(map, layer, state, config) {
    var loaded = 0, failed = 0, done = false;
    function fail() {
      if (done || loaded) return;
      done = true;
      map.removeLayer(layer);
      state.basemapOffline = true;
      state.notice.set("offline", config.offlineNotice);
      declutterSoon(state.labels); // the notice is one more box the labels keep clear of
    }
    layer.on("tileload", function () {
      loaded++;
    });
    layer.on("tileerror", function () {
      failed++;
      if (failed >= 2) fail();
    });
    setTimeout(fail, config.tileTimeoutMs || 8000);
  }

  A.update = function (d) {
    var state = A.state;
    if (!state) return;
    var t0 = performance.now();
    // District shading and tooltips.
    Object.keys(state.districts).forEach(function (code) {
      var it = state.districts[code], v = d.districts[code] || [0, 0], value = v[d.metric === "fatalities" ? 1 : 0];
      var fill = shade(value, d.bins, d.shades);
      it.layer.setStyle({ fillColor: fill || "#ffffff", fillOpacity: fill ? 0.7 : 0 });
      it.layer.setTooltipContent(
        "<b>" + it.name + "</b> (" + it.province + ")<br>" + v[0].toLocaleString("en") + " event" + (v[0] === 1 ? "" : "s") +
          " · " + v[1].toLocaleString("en") + " reported fatalities"
      );
    });
    // Events known only to province level: a count inside the province's label, a dashed outline.
    Object.keys(state.provinces).forEach(function (code) {
      var it = state.provinces[code], n = d.provinceLevel[code] || 0;
      it.label.badge = n;
      var el = it.label.marker.getElement(), badge = el && el.querySelector(".afg-badge");
      if (badge) {
        badge.hidden = !n;
        badge.textContent = n ? n.toLocaleString("en") + " in province only" : "";
      }
      it.layer.setStyle(n ? { color: "#5a2d82", weight: 2.5, dashArray: "6 5" } : { color: "#333333", weight: 1.4, dashArray: null });
      it.layer.setTooltipContent(
        "<b>" + it.name + "</b> province" +
          (n ? "<br>" + n.toLocaleString("en") + " event" + (n === 1 ? "" : "s") + " known only to province level (not drawn as points)" : "")
      );
    });
    if (!state.updates) state.fit();
    declutterSoon(state.labels);
    state.legend.setContent(d.legend);
    state.notice.set("empty", d.emptyNotice || null);
    state.events.setData(d);
    state.updates += 1;
    state.versions.push(d.version);
    state.updateMs = performance.now() - t0;
    state.total = d.total;
    state.version = d.version;
    // Ready = drawn and painted: the next frame after the draw, when the main thread is free again
    // (a frame the browser does not paint, e.g. scrolled out of sight, says so after 250 ms).
    var marked = false;
    function ready() {
      if (marked) return;
      marked = true;
      state.readyAt = Date.now();
      state.readyVersion = d.version;
      document.body.setAttribute("data-afg-ready", String(d.version));
    }
    L.Util.requestAnimFrame(function () {
      setTimeout(ready, 0);
    });
    setTimeout(ready, 250);
  };

  function shade(value, bins, colors) {
    if (!value || value <= 0 || !bins.length) return null;
    if (bins.length === 1) return colors[3];
    var pos = 0;
    for (var i = 0; i < bins.length; i++) if (value >= bins[i]) pos = i;
    return colors[Math.min(pos, colors.length - 1)];
  }
})();
