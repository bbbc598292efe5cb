"""The browser stage of ``benchmarks/bench.py``: the Map page in Chromium, side by side with the alternatives.

Three Streamlit apps run on the same synthetic event file, each in its own server on 127.0.0.1:

- ``ours``: the app (``app.py``), Map page, no basemap;
- ``naive``: ``benchmarks/apps/naive_folium.py``, one folium ``Marker`` + ``Popup`` per event in a
  ``MarkerCluster`` (comparator a);
- ``pydeck``: ``benchmarks/apps/pydeck_chart.py``, ``st.pydeck_chart`` with a deck.gl
  ``ScatterplotLayer`` of the same events (comparator b).

Each timed visit is a new browser context (a cold HTTP cache and a new Streamlit session) on a server
already warmed by one visit, so a run measures what a user opening the link feels, not the server's
first read of the file. "Ready" is when the points are on screen and the page is free again:

- ours: the map frame's ``AfgMap.state.readyAt`` (set in the frame after the first paint of the
  selection: a ``requestAnimationFrame`` then a zero timeout), against the wall clock at navigation;
- naive: the first marker or cluster icon in the map frame's DOM, found by polling every 50 ms;
- pydeck: the first screenshot of the chart that shows the points (deck.gl draws into WebGL, which a
  script cannot read back), polled as fast as screenshots go (about 0.1-0.3 s each).

Memory: the resident set of each server process (``VmRSS``), with 1, 5 and 10 sessions open on the
full view of a 200k-event file, minus the resident set after the warm-up visit; then all sessions
closed and dropped (``server.disconnectedSessionTTL``, 10 s here, 120 s by default). Bytes of a filter change: websocket payloads received by the page (as delivered, i.e. after
permessage-deflate is undone) plus HTTP bodies, from the click on "Exact places only" until the page
shows the new selection.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
APPS = {
    "ours": REPO / "app.py",
    "naive": REPO / "benchmarks" / "apps" / "naive_folium.py",
    "pydeck": REPO / "benchmarks" / "apps" / "pydeck_chart.py",
}
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
VIEWPORT = {"width": 1440, "height": 900}
STARTUP_S = 120
#: Seconds a closed session's state is kept for a reconnection (Streamlit's default is 120): shorter here so
#: the benchmark sees memory come back without waiting two minutes per app.
SESSION_TTL_S = 10


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


class Server:
    """``streamlit run`` of one app on ``events`` (127.0.0.1, a free port), stopped on exit.

    A comparator app runs from a temporary folder holding a copy of it and a link to the repository's
    ``static/`` (Streamlit serves ``static/`` next to the main script), with the repository as the
    working folder (its ``.streamlit/config.toml``) and on ``PYTHONPATH`` (``import geo``).
    """

    def __init__(self, app: str, events: Path, log_dir: Path):
        self.app, self.events = app, Path(events)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log_dir / f"{app}-{self.events.stem}.log"
        self._tmp: Path | None = None
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        script = APPS[self.app]
        if self.app != "ours":
            self._tmp = Path(tempfile.mkdtemp(prefix=f"bench-{self.app}-"))
            shutil.copy(script, self._tmp / script.name)
            (self._tmp / "static").symlink_to(REPO / "static", target_is_directory=True)
            script = self._tmp / script.name
        cmd = [
            sys.executable, "-m", "streamlit", "run", str(script),
            "--server.headless", "true", "--server.address", "127.0.0.1", "--server.port", str(self.port),
            "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false",
            "--server.disconnectedSessionTTL", str(SESSION_TTL_S),
        ]  # fmt: skip
        env = {**os.environ, "AFGMAP_EVENTS": str(self.events), "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
        self._log = open(self.log, "w", encoding="utf-8")  # noqa: SIM115 (closed in __exit__)
        self.proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + STARTUP_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.app} server exited: {self.log.read_text()[-2000:]}")
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        return self
            time.sleep(0.3)
        raise RuntimeError(f"{self.app} server did not start: {self.log.read_text()[-2000:]}")

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def __exit__(self, *exc) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=20)
        self._log.close()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)


class Visit:
    """A new browser context on one server: requests to other hosts refused (and counted), bytes counted."""

    def __init__(self, browser, url: str):
        self.context = browser.new_context(viewport=VIEWPORT)
        self.refused: list[str] = []
        self.http_bytes = 0
        self.ws_bytes = 0
        self.last_frame = 0.0
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("websocket", lambda ws: ws.on("framereceived", self._frame))
        self.page.on("requestfinished", self._finished)
        self.url = url

    def _route(self, route) -> None:
        if route.request.url.startswith(("http://127.0.0.1", "ws://127.0.0.1")):
            route.continue_()
        else:
            self.refused.append(route.request.url)
            route.abort()

    def _frame(self, payload) -> None:
        self.ws_bytes += len(payload)
        self.last_frame = time.time()

    def _finished(self, request) -> None:
        with contextlib.suppress(Exception):
            self.http_bytes += request.sizes()["responseBodySize"]

    def open(self, query: str = "?basemap=none") -> float:
        """Navigate; return the wall-clock time the navigation started."""
        started = time.time()
        self.page.goto(self.url + "/" + query, wait_until="commit")
        return started

    def close(self) -> None:
        self.context.close()


def _map_frame(page):
    for frame in page.frames:
        if "st_folium" in frame.url:
            return frame
    return None


def wait_ours(visit: Visit, timeout: float, *, not_version=None) -> dict:
    """Until our map drew a selection (another than ``not_version``): its state, read in the frame."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        frame = _map_frame(visit.page)
        if frame is not None:
            with contextlib.suppress(Exception):
                state = frame.evaluate(
                    "() => (window.AfgMap && AfgMap.state && AfgMap.state.readyAt) ? {readyAt: AfgMap.state.readyAt,"
                    " version: String(AfgMap.state.readyVersion), total: AfgMap.state.total,"
                    " updateMs: AfgMap.state.updateMs, decodeMs: AfgMap.state.events.decodeMs} : null"
                )
                if state and state["version"] != not_version:
                    return state
        visit.page.wait_for_timeout(50)
    raise TimeoutError(f"our map was not drawn within {timeout:.0f} s")


def wait_naive(visit: Visit, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        frame = _map_frame(visit.page)
        if frame is not None:
            with contextlib.suppress(Exception):
                if frame.evaluate("() => document.querySelectorAll('.leaflet-marker-icon').length > 0"):
                    return time.time()
        visit.page.wait_for_timeout(50)
    raise TimeoutError(f"the naive map was not drawn within {timeout:.0f} s")


def _coloured_pixels(png: bytes) -> int:
    from PIL import Image  # Pillow comes with Streamlit

    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)
    # Group colours are far from the white/grey page; the deck's zoom buttons are grey.
    spread = pixels.max(axis=2) - pixels.min(axis=2)
    return int((spread > 60).sum())


def wait_pydeck(visit: Visit, timeout: float, *, min_pixels: int = 2000, before: bytes | None = None) -> float:
    deadline = time.monotonic() + timeout
    chart = visit.page.locator("[data-testid=stDeckGlJsonChart]").first
    while time.monotonic() < deadline:
        started = time.time()
        with contextlib.suppress(Exception):
            if chart.count() and chart.locator("canvas").count():
                png = chart.screenshot(timeout=10_000, animations="disabled")
                if _coloured_pixels(png) >= min_pixels and png != before:
                    return started
        visit.page.wait_for_timeout(20)
    raise TimeoutError(f"the pydeck chart was not drawn within {timeout:.0f} s")


def time_to_ready(browser, server: Server, app: str, *, timeout: float) -> dict:
    """One timed visit: seconds from navigation to the points on screen."""
    visit = Visit(browser, server.url)
    try:
        started = visit.open("?basemap=none" if app == "ours" else "")
        if app == "ours":
            state = wait_ours(visit, timeout)
            ready = state["readyAt"] / 1000
            shown = visit.page.locator(".st-key-headline h3").inner_text()
            return {
                "seconds": ready - started,
                "headline": shown,
                "drawn": state["total"],
                "refused": visit.refused,
                "ws_bytes": visit.ws_bytes,
            }
        ready = wait_naive(visit, timeout) if app == "naive" else wait_pydeck(visit, timeout)
        return {"seconds": ready - started, "refused": visit.refused, "ws_bytes": visit.ws_bytes}
    finally:
        visit.close()


def filter_change_bytes(browser, server: Server, app: str, *, timeout: float) -> dict:
    """Bytes the page receives when "Exact places only" is switched on, until the new selection is shown."""
    visit = Visit(browser, server.url)
    try:
        visit.open("?basemap=none" if app == "ours" else "")
        if app == "ours":
            first = wait_ours(visit, timeout)
        elif app == "naive":
            wait_naive(visit, timeout)
        else:
            wait_pydeck(visit, timeout)
        visit.page.wait_for_timeout(1500)  # let the first run settle
        ws0, http0 = visit.ws_bytes, visit.http_bytes
        started = time.time()
        visit.page.get_by_text("Exact places only").first.click()
        if app == "ours":
            wait_ours(visit, timeout, not_version=first["version"])
            seconds = time.time() - started
        else:
            # The comparators send everything again: wait until the page has received nothing for 2 s.
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and not (
                visit.last_frame > started and time.time() - visit.last_frame > 2.0
            ):
                visit.page.wait_for_timeout(100)
            seconds = visit.last_frame - started
        visit.page.wait_for_timeout(1000)
        return {"ws": visit.ws_bytes - ws0, "http": visit.http_bytes - http0, "seconds": seconds}
    finally:
        visit.close()


def session_memory(browser, server: Server, app: str, counts: tuple[int, ...], *, timeout: float) -> dict:
    """Server RSS with 1, 5, 10... sessions open on the full view; per session above the warm baseline."""
    warm = Visit(browser, server.url)
    warm.open("?basemap=none" if app == "ours" else "")
    (wait_ours(warm, timeout) if app == "ours" else wait_pydeck(warm, timeout))
    warm.close()
    time.sleep(5)
    base = server.rss_mb()
    out = {"baseline_mb": round(base, 1), "per_session_mb": {}, "total_mb": {}}
    visits: list[Visit] = []
    try:
        for n in counts:
            while len(visits) < n:
                visit = Visit(browser, server.url)
                visit.open("?basemap=none" if app == "ours" else "")
                (wait_ours(visit, timeout) if app == "ours" else wait_pydeck(visit, timeout))
                visits.append(visit)
            time.sleep(3)
            rss = server.rss_mb()
            out["total_mb"][n] = round(rss, 1)
            out["per_session_mb"][n] = round((rss - base) / n, 1)
    finally:
        for visit in visits:
            visit.close()
    peak = server.rss_mb()
    time.sleep(SESSION_TTL_S + 20)  # the sessions are dropped SESSION_TTL_S after their websocket closed
    out["after_close_mb"] = round(server.rss_mb(), 1)
    out["released_mb"] = round(peak - out["after_close_mb"], 1)
    return out


def cli_headline(events: Path) -> str:
    from geo.filters import headline

    done = subprocess.run(
        [sys.executable, "-m", "geo", "summary", "--events", str(events)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return headline(json.loads(done.stdout))


def run(
    files: dict[str, Path],
    *,
    runs: int = 3,
    naive_timeout: float = 300.0,
    sessions: tuple[int, ...] = (1, 5, 10),
    log_dir: Path,
) -> dict:
    """Every browser measurement; ``files`` maps "100k", "1m", "200k" to event files. Returns plain data."""
    from playwright.sync_api import sync_playwright

    from geo.events import load_events
    from geo.filters import Filters, apply_filters
    from geo.maps import drawable_mask

    result: dict = {"load_at_start": load(), "ready": {}, "filter_change": {}, "memory": {}, "checks": {}}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for size in ("100k", "1m"):
                path = files[size]
                apps = ("ours", "pydeck", "naive") if size == "100k" else ("ours",)
                expected = cli_headline(path)
                drawable = int(drawable_mask(apply_filters(load_events(path), Filters())).sum())
                for app in apps:
                    with Server(app, path, log_dir) as server:
                        timeout = naive_timeout if app == "naive" else 120.0
                        times, extra = [], {}
                        try:
                            if app == "naive":
                                # One visit, no warm-up: it builds the whole map per visit anyway (minutes at 100k).
                                extra = time_to_ready(browser, server, app, timeout=timeout)
                                times.append(extra["seconds"])
                            else:
                                time_to_ready(browser, server, app, timeout=timeout)  # warm the server's caches
                                for _ in range(runs):
                                    extra = time_to_ready(browser, server, app, timeout=timeout)
                                    times.append(extra["seconds"])
                        except TimeoutError as exc:
                            result["ready"][f"{app}_{size}"] = {"timeout_s": timeout, "error": str(exc), "load": load()}
                            continue
                        result["ready"][f"{app}_{size}"] = {
                            "first_load_ws_bytes": extra.get("ws_bytes"),
                            "median_s": round(statistics.median(times), 2),
                            "runs_s": [round(t, 2) for t in times],
                            "load": load(),
                            "refused": sorted(set(extra.get("refused", []))),
                        }
                        if app == "ours":
                            result["checks"][size] = {
                                "headline_equals_cli_summary": extra["headline"] == expected,
                                "headline": extra["headline"],
                                "map_points_equal_drawable_events": extra["drawn"] == drawable,
                                "drawable": drawable,
                            }
                        if size == "100k" and app != "naive":
                            result["filter_change"][app] = filter_change_bytes(browser, server, app, timeout=timeout)
            for app in ("ours", "pydeck"):
                with Server(app, files["200k"], log_dir) as server:
                    result["memory"][app] = session_memory(browser, server, app, sessions, timeout=180.0)
        finally:
            browser.close()
    result["load_at_end"] = load()
    return result
