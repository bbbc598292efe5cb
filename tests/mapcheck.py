"""What the event map drew, read in the page: the probes the map tests share (tests/test_maps.py on a
standalone map file, tests/browser/ on the Map page's frame).

Each ``*_JS`` is a function for Playwright's ``evaluate`` over ``AfgMap.state`` (geo/web/afgmap.js).
"""

from __future__ import annotations

from geo.groups import GROUP_COLORS

#: What the event canvas drew: each cluster's position in the map's viewport, radius, total, places and groups.
DRAWN_JS = """() => {
  const L = AfgMap.state.events, d = L._drawn, pane = AfgMap.state.map._getMapPanePos(), out = [];
  for (let j = 0; j < d.c.length; j++) {
    const s = L.describe(d.c[j]);
    out.push({x: d.x[j] + L._topLeft.x + pane.x, y: d.y[j] + L._topLeft.y + pane.y, r: d.r[j],
              total: s.total, single: s.single, groups: s.groups, lat: s.lat, lng: s.lng});
  }
  return out;
}"""

#: The canvas pixels of the three largest rings that stand clear of others, sampled around each ring
#: (between its hole and its rim).
RING_PIXELS_JS = """() => {
  const L = AfgMap.state.events, d = L._drawn, ctx = L._canvas.getContext("2d"), ratio = window.devicePixelRatio || 1;
  const rings = [];
  for (let j = 0; j < d.c.length; j++) {
    const s = L.describe(d.c[j]);
    // Only rings that no other drawn disc or ring touches (a neighbour drawn on top would hide part of it).
    const alone = d.c.every((_, k) => k === j || Math.hypot(d.x[k] - d.x[j], d.y[k] - d.y[j]) > d.r[k] + d.r[j]);
    if (!s.single && alone) rings.push({j: j, total: s.total, groups: Object.keys(s.groups)});
  }
  rings.sort((a, b) => b.total - a.total);
  return rings.slice(0, 3).map(r => {
    const pixels = [];
    for (let k = 0; k < 8; k++) {
      const a = (k / 8) * 2 * Math.PI + 0.2, rad = d.r[r.j] * 0.82;
      const px = ctx.getImageData(Math.round((d.x[r.j] + rad * Math.cos(a)) * ratio),
                                  Math.round((d.y[r.j] + rad * Math.sin(a)) * ratio), 1, 1).data;
      pixels.push([px[0], px[1], px[2]]);
    }
    return {groups: r.groups, pixels: pixels};
  });
}"""


def ring_in_group_colours(ring: dict) -> bool:
    """At least 6 of the 8 pixels sampled around a ring are one of its groups' colours (the others may fall on
    the anti-aliased edge between two groups' slices)."""
    wanted = [[int(c[k : k + 2], 16) for k in (1, 3, 5)] for c in (GROUP_COLORS[g] for g in ring["groups"])]
    hits = sum(any(all(abs(w[i] - rgb[i]) <= 40 for i in range(3)) for w in wanted) for rgb in ring["pixels"])
    return hits >= 6


def box_hits(a: list[float], b: list[float]) -> bool:
    """Whether two ``[left, top, right, bottom]`` boxes overlap."""
    return a[0] < b[2] and a[2] > b[0] and a[1] < b[3] and a[3] > b[1]
