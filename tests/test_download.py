"""``download-boundaries`` against a real HTTP server on 127.0.0.1 serving the official zips."""

from __future__ import annotations

import functools
import http.server
import shutil
import socket
import threading
from pathlib import Path

import pytest

from geo import boundaries, settings
from geo.cli import main
from geo.download import download_boundaries, sha256_file
from geo.errors import DownloadError


@pytest.fixture()
def serve(tmp_path):
    """Start a static HTTP server on 127.0.0.1 for a folder; yields a function folder -> base URL."""
    servers = []

    def start(folder: Path) -> str:
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
        handler.log_message = lambda *a, **k: None
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        servers.append(httpd)
        return f"http://127.0.0.1:{httpd.server_address[1]}/"

    yield start
    for s in servers:
        s.shutdown()
        s.server_close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_download_verifies_and_unpacks_the_official_zips(tmp_path, serve, boundary_zips, monkeypatch):
    url = serve(boundary_zips)
    dest = tmp_path / "boundaries"
    paths = download_boundaries(dest=dest, base_url=url, timeout=10)
    names = {p.name for p in paths}
    assert {
        settings.PROVINCES_ZIP,
        settings.DISTRICTS_ZIP,
        settings.DISTRICTS_FILE,
        settings.PROVINCES_SIMPLIFIED_FILE,
    } <= names
    for z in (settings.PROVINCES_ZIP, settings.DISTRICTS_ZIP):
        assert sha256_file(dest / z) == settings.BOUNDARY_ZIPS[z]["sha256"]
    assert not list(dest.glob(".part-*")), "no temporary file left behind"
    # The downloaded folder is a complete boundary source.
    monkeypatch.setenv(settings.BOUNDARIES_ENV, str(dest))
    districts = boundaries.load_districts()
    assert len(districts) == 399
    assert districts.loc[districts["pcode"] == "AF3201", "name_en"].item() == "Hirat"


def test_cli_download_prints_attribution(tmp_path, serve, boundary_zips, capsys):
    url = serve(boundary_zips)
    code = main(["download-boundaries", "--dest", str(tmp_path), "--base-url", url, "--timeout", "10"])
    out = capsys.readouterr().out
    assert code == 0
    assert "AGCHO / OCHA" in out and "boundaries ready" in out


def test_tampered_zip_is_refused_and_not_kept(tmp_path, serve, boundary_zips):
    bad = tmp_path / "served"
    bad.mkdir()
    shutil.copy(boundary_zips / settings.PROVINCES_ZIP, bad / settings.PROVINCES_ZIP)
    data = bytearray((boundary_zips / settings.DISTRICTS_ZIP).read_bytes())
    data[1000] ^= 0xFF
    (bad / settings.DISTRICTS_ZIP).write_bytes(bytes(data))
    dest = tmp_path / "dest"
    pinned = str(settings.BOUNDARY_ZIPS[settings.DISTRICTS_ZIP]["sha256"])  # the official one, or the stand-in's
    with pytest.raises(
        DownloadError, match=rf"afg_admbnda_adm2_agcho_20180522\.zip.*SHA-256 is [0-9a-f]{{64}}, expected {pinned}"
    ):
        download_boundaries(dest=dest, base_url=serve(bad), timeout=10)
    assert not (dest / settings.DISTRICTS_ZIP).exists()
    assert not list(dest.glob(".part-*"))


def test_missing_file_on_server_is_an_http_error(tmp_path, serve):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DownloadError, match="HTTP 404"):
        download_boundaries(dest=tmp_path / "dest", base_url=serve(empty), timeout=10)


def test_offline_explains_what_to_do(tmp_path, capsys):
    url = f"http://127.0.0.1:{_free_port()}/"  # nothing listens there
    code = main(["download-boundaries", "--dest", str(tmp_path), "--base-url", url, "--timeout", "5"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: cannot reach") and "--verify-only" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_verify_only_accepts_zips_placed_by_hand(tmp_path, boundary_zips):
    for z in (settings.PROVINCES_ZIP, settings.DISTRICTS_ZIP):
        shutil.copy(boundary_zips / z, tmp_path / z)
    paths = download_boundaries(dest=tmp_path, verify_only=True)
    assert (tmp_path / settings.DISTRICTS_FILE).is_file() and len(paths) == 6
    with pytest.raises(DownloadError, match="--verify-only"):
        download_boundaries(dest=tmp_path / "nothing", verify_only=True)
