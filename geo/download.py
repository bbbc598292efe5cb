"""Refreshing the bundled boundaries from the official OCHA/AGCHO 2018 zips.

The repository ships the boundaries in ``data/boundaries/``; this module is how
they are refreshed or re-derived from the official files, never a set-up step.
Each zip is downloaded to a temporary file, checked against its SHA-256 and
its feature count, then moved into place; the GeoParquet files the app reads
(full and simplified) are written next to it. Nothing half-written is left
behind on failure.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd

from geo import settings
from geo.errors import DownloadError

#: Simplification tolerance (degrees) for the display copies written after download.
DISPLAY_TOLERANCE_DEG = 0.001


def sha256_file(path: Path) -> str:
    """The hex SHA-256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _fetch(url: str, dest: Path, *, timeout: float, progress: Callable[[int, int | None], None] | None) -> None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp, open(dest, "wb") as out:
            total = resp.headers.get("Content-Length")
            total_n = int(total) if total and total.isdigit() else None
            done = 0
            while block := resp.read(1 << 16):
                out.write(block)
                done += len(block)
                if progress:
                    progress(done, total_n)
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"{url} answered HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadError(
            f"cannot reach {url} ({reason}). If this machine is offline, copy {settings.PROVINCES_ZIP} and "
            f"{settings.DISTRICTS_ZIP} (OCHA HDX dataset 'afg-admin-boundaries') into {settings.LOCAL_BOUNDARIES_DIR} "
            f"by hand and run this command again with --verify-only, or set ${settings.BOUNDARIES_ENV} to a folder "
            "that holds them."
        ) from None


def verify_zip(path: Path, *, sha256: str, features: int, label: str | None = None) -> None:
    """Check a downloaded zip's checksum and feature count.

    Raises
    ------
    DownloadError
        Naming the file, what was expected and what arrived.
    """
    label = label or path.name
    got = sha256_file(path)
    if got != sha256:
        raise DownloadError(f"{label}: SHA-256 is {got}, expected {sha256} (corrupt or different edition)")
    try:
        n = len(gpd.read_file(f"zip://{path}"))
    except Exception as exc:  # pyogrio raises several types for a broken archive
        raise DownloadError(f"{label}: cannot be read as a shapefile zip ({exc})") from None
    if n != features:
        raise DownloadError(f"{label}: has {n} features, expected {features}")


def write_boundary_files(folder: Path) -> list[Path]:
    """Write the full and simplified GeoParquet files from the zips in ``folder``; return their paths."""
    from geo.boundaries import _read_zip

    written = []
    for zname, full_name, simple_name, level in (
        (settings.PROVINCES_ZIP, settings.PROVINCES_FILE, settings.PROVINCES_SIMPLIFIED_FILE, 1),
        (settings.DISTRICTS_ZIP, settings.DISTRICTS_FILE, settings.DISTRICTS_SIMPLIFIED_FILE, 2),
    ):
        frame = _read_zip(folder / zname, level)
        simple = frame.copy()
        simple["geometry"] = frame.geometry.simplify(DISPLAY_TOLERANCE_DEG, preserve_topology=True)
        for data, name in ((frame, full_name), (simple, simple_name)):
            target = folder / name
            tmp = target.with_name(f".{name}.tmp")
            try:
                data.to_parquet(tmp, compression="brotli", index=False)
                os.replace(tmp, target)
            finally:
                tmp.unlink(missing_ok=True)
            written.append(target)
    return written


def download_boundaries(
    *,
    dest: Path | None = None,
    base_url: str | None = None,
    timeout: float = 60.0,
    force: bool = False,
    verify_only: bool = False,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> list[Path]:
    """Download, verify and unpack the official boundary zips.

    Parameters
    ----------
    dest : Path, optional
        Target folder (default ``data/boundaries/``).
    base_url : str, optional
        Where the zips are (default ``$AFGMAP_BOUNDARIES_URL``, else :data:`geo.settings.BOUNDARIES_BASE_URL`).
    timeout : float
        Seconds to wait for the server.
    force : bool
        Download again even when a verified zip is already there.
    verify_only : bool
        Do not download: verify zips already placed by hand and write the GeoParquet files.
    progress : callable, optional
        ``progress(name, bytes_done, bytes_total_or_None)``.

    Returns
    -------
    list of Path
        The zips and GeoParquet files now in ``dest``.

    Raises
    ------
    DownloadError
        Offline, HTTP error, checksum or feature-count mismatch; the message says what to do.
    """
    dest = Path(dest) if dest is not None else settings.LOCAL_BOUNDARIES_DIR
    base = base_url or os.environ.get(settings.BOUNDARIES_URL_ENV, "").strip() or settings.BOUNDARIES_BASE_URL
    if not base.endswith("/"):
        base += "/"
    dest.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, spec in settings.BOUNDARY_ZIPS.items():
        target = dest / name
        sha, n = str(spec["sha256"]), int(spec["features"])
        if verify_only:
            if not target.is_file():
                raise DownloadError(f"--verify-only: {target} is not there; place the official zip there first")
            verify_zip(target, sha256=sha, features=n)
        elif force or not target.is_file() or sha256_file(target) != sha:
            fd, tmp_name = tempfile.mkstemp(prefix=".part-", suffix=f"-{name}", dir=dest)
            os.close(fd)
            tmp = Path(tmp_name)
            try:
                _fetch(
                    base + name,
                    tmp,
                    timeout=timeout,
                    progress=(lambda done, total, _n=name: progress(_n, done, total)) if progress else None,
                )
                verify_zip(tmp, sha256=sha, features=n, label=f"{name} from {base}")
                tmp.chmod(0o644)
                os.replace(tmp, target)
            finally:
                tmp.unlink(missing_ok=True)
        paths.append(target)
    return paths + write_boundary_files(dest)
