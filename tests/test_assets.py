"""Offline map assets: the lock, fetching with integrity checks, and localizing folium maps."""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import re
import shutil
import time
from pathlib import Path

import folium
import folium.plugins as plugins
import pytest

from geo import assets, settings
from geo.errors import AssetsMissingError, DownloadError

#: Plugins the maps and the spread page use (their CDN URLs must all have local copies).
PLUGINS = (
    plugins.MarkerCluster,
    plugins.FastMarkerCluster,
    plugins.TimestampedGeoJson,
    plugins.Timeline,
    plugins.TimelineSlider,
    plugins.HeatMap,
)

EXTERNAL_LINK = re.compile(r'<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*["\']?((?:https?:)?//[^"\' >]+)', re.I)


@pytest.fixture(scope="session")
def vendor() -> Path:
    """The real vendored assets in static/vendor (fetched from the configured npm registry when absent)."""
    if not assets.assets_ready():
        try:
            assets.fetch_assets()
        except DownloadError as exc:
            pytest.skip(f"assets not installed and cannot be fetched: {exc}")
    return settings.VENDOR_DIR


def _small_tarball() -> tuple[dict, bytes]:
    """The real registry tarball of the smallest pinned package (iso8601-js-period), or skip."""
    pkg = next(p for p in assets.load_lock()["packages"] if p["name"] == "iso8601-js-period")
    try:
        url = assets.tarball_url(assets.registry_url(), pkg["name"], pkg["version"])
        data = assets._download(url, timeout=30)
    except DownloadError as exc:
        pytest.skip(f"npm registry not reachable: {exc}")
    return pkg, data


def _file_registry(root: Path, pkg: dict, data: bytes) -> str:
    """A registry folder with one tarball at the path npm registries use; returns its file:// URL."""
    url = assets.tarball_url(root.as_uri(), pkg["name"], pkg["version"])
    path = Path(url.removeprefix("file://"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return root.as_uri()


def test_lock_pins_exact_versions_with_registry_integrity():
    lock = assets.load_lock()
    for pkg in lock["packages"]:
        assert re.fullmatch(r"\d+\.\d+\.\d+", pkg["version"]), pkg
        assert re.fullmatch(r"sha512-[A-Za-z0-9+/]{86}==", pkg["integrity"]), pkg
        for file in pkg["urls"].values():  # every linked file is among the unpacked ones
            assert any(fnmatch.fnmatchcase(file, g) for g in pkg["files"]), (pkg["name"], file)
    text = assets.LOCK_FILE.read_text()
    assert "registry.npmjs" not in text  # no registry host in the repository


def test_every_cdn_url_folium_and_our_plugins_use_has_a_local_copy():
    known = set(assets.url_map()) | set(assets.load_lock()["unused"])
    urls = {u for _, u in folium.Map.default_js + folium.Map.default_css}
    for plugin in PLUGINS:
        urls |= {u for _, u in getattr(plugin, "default_js", []) + getattr(plugin, "default_css", [])}
    assert urls - known == set()


def test_localized_map_with_every_plugin_loads_nothing_from_outside(vendor):
    m = folium.Map(location=[34.5, 69.2], zoom_start=6)  # with OSM tiles: tiles are allowed, scripts are not
    plugins.MarkerCluster().add_to(m)
    plugins.FastMarkerCluster([[34.5, 69.2]]).add_to(m)
    collection = {"type": "FeatureCollection", "features": []}
    plugins.TimestampedGeoJson(collection).add_to(m)
    plugins.Timeline(collection).add_to(m)
    plugins.HeatMap([[34.5, 69.2, 1.0]]).add_to(m)
    folium.Marker([34.5, 69.2], icon=folium.Icon(icon="info-sign")).add_to(m)
    html = assets.localize(m).get_root().render()
    assert EXTERNAL_LINK.findall(html) == []
    local = re.findall(r'(?:src|href)="/app/static/vendor/([^"]+)"', html)
    assert len(local) >= 15
    for rel in local:
        assert (vendor / rel).is_file(), rel
    # folium's class defaults are untouched: only this map's elements were changed.
    assert folium.Map.default_js[0][1].startswith("https://")


def test_localize_refuses_a_url_it_has_no_copy_of(vendor):
    m = folium.Map(tiles=None)
    m.default_js = m.default_js + [("mystery", "https://cdn.example.org/mystery.js")]
    with pytest.raises(AssetsMissingError, match=r"mystery\.js.*no local copy"):
        assets.localize(m)


def test_localize_names_the_missing_file_and_the_command(tmp_path):
    with pytest.raises(AssetsMissingError, match=r"leaflet@1\.9\.3/dist/leaflet\.js.*python -m geo fetch-assets"):
        assets.localize(folium.Map(tiles=None), dest=tmp_path)
    assert not assets.assets_ready(dest=tmp_path)


def test_vendored_files_verify_against_their_manifests(vendor):
    assert assets.verify_assets() == []
    # The timedimension stylesheet was rewritten to load its fonts locally, not from a CDN.
    css = (vendor / "leaflet-timedimension@1.1.1/dist/leaflet.timedimension.control.css").read_text()
    assert "bootstrapcdn" not in css and "../../glyphicons-only-bootstrap@1.0.1/fonts/" in css


def test_fetch_from_a_registry_folder_unpacks_only_the_listed_files(tmp_path):
    pkg, data = _small_tarball()
    registry = _file_registry(tmp_path / "registry", pkg, data)
    dest = tmp_path / "vendor"
    files = assets.fetch_assets(dest=dest, registry=registry, packages=[pkg["name"]])
    folder = dest / "iso8601-js-period@0.2.1"
    assert files == [folder / "iso8601.js"]
    assert sorted(p.name for p in folder.iterdir()) == [".assets-manifest.json", "iso8601.js", "package.json"]
    manifest = json.loads((folder / ".assets-manifest.json").read_text())
    assert manifest["integrity"] == pkg["integrity"]
    # Idempotent: a second run with the registry gone verifies and downloads nothing.
    shutil.rmtree(tmp_path / "registry")
    assert assets.fetch_assets(dest=dest, registry=registry, packages=[pkg["name"]]) == files


def test_a_tampered_tarball_is_refused_and_the_old_copy_kept(tmp_path):
    pkg, data = _small_tarball()
    good = _file_registry(tmp_path / "good", pkg, data)
    dest = tmp_path / "vendor"
    assets.fetch_assets(dest=dest, registry=good, packages=[pkg["name"]])
    before = (dest / "iso8601-js-period@0.2.1" / "iso8601.js").read_bytes()
    tampered = bytearray(data)
    tampered[len(tampered) // 2] ^= 0xFF
    bad = _file_registry(tmp_path / "bad", pkg, bytes(tampered))
    with pytest.raises(DownloadError, match="integrity check failed"):
        assets.fetch_assets(dest=dest, registry=bad, packages=[pkg["name"]], force=True)
    assert (dest / "iso8601-js-period@0.2.1" / "iso8601.js").read_bytes() == before


def test_a_changed_local_file_is_reported(tmp_path):
    pkg, data = _small_tarball()
    registry = _file_registry(tmp_path / "registry", pkg, data)
    dest = tmp_path / "vendor"
    assets.fetch_assets(dest=dest, registry=registry, packages=[pkg["name"]])
    (dest / "iso8601-js-period@0.2.1" / "iso8601.js").write_text("alert('changed')")
    problems = [p for p in assets.verify_assets(dest=dest) if p.startswith("iso8601")]
    assert problems == ["iso8601-js-period@0.2.1/iso8601.js: changed since it was unpacked (SHA-256 differs)"]


def test_registry_comes_from_the_environment_then_npmrc(tmp_path, monkeypatch):
    monkeypatch.setenv("NPM_CONFIG_REGISTRY", "http://127.0.0.1:4873")
    assert assets.registry_url() == "http://127.0.0.1:4873/"
    for env in assets.REGISTRY_ENVS:
        monkeypatch.delenv(env, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    (home / ".npmrc").write_text("fund=false\nregistry = http://127.0.0.1:4874/npm/\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(tmp_path)
    if (settings.REPO_ROOT / ".npmrc").is_file():
        pytest.skip("the repository has its own .npmrc")
    assert assets.registry_url() == "http://127.0.0.1:4874/npm/"


def test_no_registry_configured_says_to_set_npm_config_registry(tmp_path, monkeypatch):
    for env in assets.REGISTRY_ENVS:
        monkeypatch.delenv(env, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))  # no npm on PATH
    monkeypatch.chdir(tmp_path)
    if (settings.REPO_ROOT / ".npmrc").is_file():
        pytest.skip("the repository has its own .npmrc")
    with pytest.raises(DownloadError, match="set NPM_CONFIG_REGISTRY"):
        assets.registry_url()


def test_fetch_assets_command_verifies_what_is_there(vendor, capsys):
    from geo.cli import main

    assert main(["fetch-assets", "--verify-only"]) == 0
    assert "assets verified" in capsys.readouterr().out


def test_unpacked_files_carry_a_stable_time_so_browsers_keep_them(tmp_path):
    # Streamlit's /app/static sends Last-Modified and no Cache-Control: the file's time is what the
    # browser's heuristic freshness is computed from. A versioned file gets npm's fixed tarball time.
    pkg, data = _small_tarball()
    registry = _file_registry(tmp_path / "registry", pkg, data)
    dest = tmp_path / "vendor"
    assets.fetch_assets(dest=dest, registry=registry, packages=[pkg["name"]])
    unpacked = dest / "iso8601-js-period@0.2.1" / "iso8601.js"
    assert int(unpacked.stat().st_mtime) == assets.STABLE_MTIME
    # A folder unpacked before this rule gets the time on the next run, without a download.
    os.utime(unpacked, (1_700_000_000, 1_700_000_000))
    assets.fetch_assets(dest=dest, registry="file:///nonexistent", packages=[pkg["name"]])
    assert int(unpacked.stat().st_mtime) == assets.STABLE_MTIME


def test_published_files_are_named_by_their_content_and_written_once(tmp_path):
    url = assets.publish_file("afg-test", b"window.a = 1;", suffix=".js", dest=tmp_path)
    name = url.rsplit("/", 1)[1]
    assert url.startswith(settings.GENERATED_URL + "/afg-test-") and name.endswith(".js")
    path = tmp_path / name
    assert path.read_bytes() == b"window.a = 1;" and int(path.stat().st_mtime) == assets.STABLE_MTIME
    assert assets.publish_file("afg-test", b"window.a = 1;", suffix=".js", dest=tmp_path) == url  # same bytes
    other = assets.publish_file("afg-test", b"window.a = 2;", suffix=".js", dest=tmp_path)
    assert other != url and len(list(tmp_path.iterdir())) == 2  # other bytes, another name; nothing overwritten
    with pytest.raises(ValueError, match="name"):
        assets.publish_file("../evil", b"x", suffix=".js", dest=tmp_path)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if not os.access(locked, os.W_OK):  # root may write anyway
            with pytest.raises(AssetsMissingError, match="cannot write"):
                assets.publish_file("afg-test", b"x", suffix=".js", dest=locked)
    finally:
        locked.chmod(0o700)


def test_stale_generated_files_are_deleted_but_never_one_this_process_published(tmp_path):
    day = 24 * 3600
    mine = assets.publish_file("afgmap", b"window.v = 1;", suffix=".js", dest=tmp_path)
    mine_too = assets.publish_file("afg-boundaries", b"window.b = 1;", suffix=".js", dest=tmp_path)
    # Files another process (an older version of the app) published, one of which this process publishes again.
    old = tmp_path / "afgmap-0123456789abcdef.js"
    old.write_bytes(b"window.v = 0;")
    again_content = b"window.v = 2;"
    again = tmp_path / f"afgmap-{hashlib.sha256(again_content).hexdigest()[:16]}.js"
    again.write_bytes(again_content)
    assert assets.publish_file("afgmap", again_content, suffix=".js", dest=tmp_path).endswith("/" + again.name)
    half_written = tmp_path / ".afgmap-fedcba9876543210.js.k3j_x9a2"  # a crash's temporary file
    half_written.write_bytes(b"window.")
    # Not publish_file's: never touched.
    unrelated = [tmp_path / "README.txt", tmp_path / "afgmap-notahash.js", tmp_path / "sub-0123456789abcdef.js"]
    unrelated[0].write_text("keep me")
    unrelated[1].write_text("keep me")
    unrelated[2].mkdir()
    before = sorted(p.name for p in tmp_path.iterdir())

    # Within the keep time, nothing goes: another process may still serve its files.
    assert assets.clean_generated(tmp_path) == []
    assert assets.clean_generated(tmp_path, now=time.time() + settings.GENERATED_KEEP_HOURS * 3600 - 60) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    # Two days later: the other process's file and the temporary file go; what this process published stays.
    deleted = assets.clean_generated(tmp_path, keep_hours=48, now=time.time() + 2 * day + 60)
    assert deleted == sorted([old, half_written])
    left = {p.name for p in tmp_path.iterdir()}
    assert {Path(mine).name, Path(mine_too).name, again.name} <= left
    assert {p.name for p in unrelated} <= left and not old.exists() and not half_written.exists()
    assert again.read_bytes() == again_content
    # A folder that does not exist has nothing to clean.
    assert assets.clean_generated(tmp_path / "missing") == []


def test_publishing_the_map_assets_cleans_the_generated_folder(tmp_path, monkeypatch):
    from geo.boundaries import load_districts, load_provinces
    from geo.maps import publish_map_assets

    monkeypatch.setattr(settings, "GENERATED_DIR", tmp_path)
    stale = tmp_path / "afgmap-0123456789abcdef.js"
    stale.write_bytes(b"window.v = 0;")
    past = time.time() - (settings.GENERATED_KEEP_HOURS + 1) * 3600
    os.utime(stale, (past, past))  # access time: no browser read it since; its change time is now, though
    published = publish_map_assets(load_provinces(simplified=True), load_districts(simplified=True))
    names = {p.name for p in tmp_path.iterdir()}
    assert {published.script_url.rsplit("/", 1)[1], published.boundaries_url.rsplit("/", 1)[1]} <= names
    assert stale.exists()  # written (its change time) just now: kept
    monkeypatch.setattr(settings, "GENERATED_KEEP_HOURS", 0)
    time.sleep(0.05)
    publish_map_assets(load_provinces(simplified=True), load_districts(simplified=True))
    assert not stale.exists() and len(list(tmp_path.iterdir())) == 2
