"""Fixtures for the browser tests: Debian's chromium through Playwright, and a real ``streamlit run app.py``.

Each server binds to 127.0.0.1 on a free port, reads the events named by
``AFGMAP_EVENTS``, and is stopped when its fixture ends (and, as a safety net,
by ``timeout`` after :data:`SERVER_MAX_SECONDS`). The browser context lets
requests reach 127.0.0.1 only and records every other host it was asked for,
so a test can prove the app needs no network.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from geo import settings

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Where screenshots go (git-ignored; CI keeps the folder as artefacts).
OUTPUT_DIR = REPO / "test-output"
#: The two screen sizes every user-facing claim is checked at: a laptop and a phone (iPhone 12-15).
VIEWPORTS: dict[str, dict[str, int]] = {
    "desktop": {"width": 1440, "height": 900},
    "mobile": {"width": 390, "height": 844},
}
#: A server that outlives its test run is killed after this long.
SERVER_MAX_SECONDS = 900
STARTUP_SECONDS = 90


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StreamlitServer:
    """``streamlit run app.py`` on 127.0.0.1 with ``AFGMAP_EVENTS=events``; use as a context manager.

    ``events=None`` runs the app on the event database instead (``env`` names it: ``AFGMAP_DATABASE_URL``, and
    the editors in ``AFGMAP_EDITORS``).
    """

    def __init__(self, events: Path | None, log: Path, env: dict[str, str] | None = None):
        self.events = Path(events) if events is not None else None
        self.extra_env = dict(env or {})
        self.log_path = log
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> StreamlitServer:
        cmd = [
            sys.executable, "-m", "streamlit", "run", "app.py",
            "--server.headless", "true",
            "--server.address", "127.0.0.1",
            "--server.port", str(self.port),
            "--server.fileWatcherType", "none",
            "--browser.gatherUsageStats", "false",
        ]  # fmt: skip
        if shutil.which("timeout"):
            cmd = ["timeout", str(SERVER_MAX_SECONDS), *cmd]
        env = {**os.environ, **self.extra_env, "PYTHONUNBUFFERED": "1"}
        if self.events is not None:
            env[settings.EVENTS_ENV] = str(self.events)
        else:
            env.pop(settings.EVENTS_ENV, None)
        self._log = open(self.log_path, "w", encoding="utf-8")  # noqa: SIM115 (closed in __exit__)
        self.proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.proc.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        self.__exit__(None, None, None)
        raise RuntimeError(f"streamlit did not answer on {self.url} within {STARTUP_SECONDS} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def __exit__(self, *exc) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)
        self._log.close()


@pytest.fixture(scope="session")
def output_dir() -> Path:
    OUTPUT_DIR.mkdir(exist_ok=True)
    return OUTPUT_DIR


@pytest.fixture(scope="package")
def browser():
    # Package scope: the sync Playwright driver stops after these tests, so other tests can start their own.
    if not CHROMIUM.exists():
        pytest.skip(f"Debian's chromium is not installed at {CHROMIUM} (apt-get install chromium): no browser to drive")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="package")
def start_server(vendored_assets, tmp_path_factory):
    """A factory: ``start_server(events_path)`` runs the app on those events until the session ends
    (``start_server(None, env={...})``: on the database named in ``env``)."""
    with contextlib.ExitStack() as stack:

        def start(events: Path | None, env: dict[str, str] | None = None) -> StreamlitServer:
            log = tmp_path_factory.mktemp("streamlit") / "streamlit.log"
            return stack.enter_context(StreamlitServer(events, log, env))

        yield start


@pytest.fixture(scope="package")
def bundled_server(start_server) -> StreamlitServer:
    """The app on the bundled events."""
    return start_server(settings.DEFAULT_EVENTS_FILE)


class OfflinePage:
    """A page in a fresh context whose requests may reach 127.0.0.1 only; others are aborted and recorded.

    ``size`` names one of :data:`VIEWPORTS` (a phone is then emulated: touch, 2x pixels, mobile viewport);
    ``viewport`` sets a size without emulation. ``requests`` records every URL the page asked for, in order.
    """

    def __init__(
        self,
        browser,
        *,
        accept_downloads: bool = True,
        viewport: dict[str, int] | None = None,
        size: str | None = None,
    ):
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.size = size or "desktop"
        if size is not None:
            viewport = VIEWPORTS[size]
        mobile = size == "mobile"
        self.context = browser.new_context(
            viewport=viewport or {"width": 1400, "height": 1000},
            accept_downloads=accept_downloads,
            is_mobile=mobile,
            has_touch=mobile,
            device_scale_factor=2 if mobile else 1,
        )
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def _route(self, route) -> None:
        # setdefault: subclasses that set up their own context (tests/browser/test_spread_page.py) still record.
        self.__dict__.setdefault("requests", []).append(route.request.url)
        host = urlsplit(route.request.url).hostname
        if host == "127.0.0.1":
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def offline_page(browser):
    """A Playwright page that may reach 127.0.0.1 only; the test fails if it asked for any other host."""
    holder = OfflinePage(browser)
    yield holder
    holder.close()
    assert holder.blocked == [], f"the page requested external hosts: {holder.blocked}"


@pytest.fixture(params=list(VIEWPORTS))
def sized_page(request, browser):
    """:func:`offline_page` at each of :data:`VIEWPORTS` in turn (the test runs once per size; ``.size`` names it)."""
    holder = OfflinePage(browser, size=request.param)
    yield holder
    holder.close()
    assert holder.blocked == [], f"the page requested external hosts: {holder.blocked}"
