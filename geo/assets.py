"""Offline JS/CSS for the maps: pinned npm packages served from ``static/vendor/``.

folium's pages load Leaflet, jQuery, Bootstrap, Font Awesome and plugin
scripts from public CDNs; offline the map stays blank, and online every map
view tells those CDNs which page an analyst opened. Instead:

1. :func:`fetch_assets` (``python -m geo fetch-assets``, run by the install
   command) downloads each package pinned in ``geo/assets_lock.json`` from the
   npm registry the user's npm configuration names, checks the tarball against
   the registry's ``sha512`` integrity, and unpacks only the files the maps use
   into ``static/vendor/<package>@<version>/`` (git-ignored; Streamlit serves
   ``static/`` at ``/app/static/`` with ``server.enableStaticServing = true``).
   Plain Python (urllib, tarfile): users need no Node.
2. :func:`localize` points every folium element's ``default_js``/``default_css``
   (the map, its plugins, any ``JavascriptLink``/``CssLink``) at those copies,
   and refuses a URL it has no copy of.

No registry host is written in this repository: the registry comes from
``$NPM_CONFIG_REGISTRY``/``$npm_config_registry``, ``registry=`` in ``./.npmrc``
or ``~/.npmrc``, or ``npm config get registry``.
"""

from __future__ import annotations

import base64
import contextlib
import fnmatch
import functools
import hashlib
import importlib.util
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from geo import settings
from geo.errors import AssetsMissingError, DownloadError

#: The lock file: pinned packages, files to unpack, CDN URL → local file.
LOCK_FILE = Path(__file__).with_name("assets_lock.json")

#: Written in each unpacked package folder: the tarball's integrity and each file's SHA-256.
MANIFEST_NAME = ".assets-manifest.json"

#: The command that fetches the assets, quoted in error messages.
FETCH_COMMAND = "python -m geo fetch-assets"

#: Environment variables that name the npm registry (npm's own names).
REGISTRY_ENVS = ("NPM_CONFIG_REGISTRY", "npm_config_registry")

#: Modification time given to every file whose URL never changes meaning (a pinned package version,
#: a content hash in the name): 1985-10-26 08:15 UTC, the time npm writes into every tarball.
#: Streamlit's ``/app/static`` sends ``Last-Modified`` but no ``Cache-Control`` (and answers
#: ``If-None-Match`` with the full file), so the browser's heuristic freshness (a tenth of the
#: time since ``Last-Modified``) is what keeps these files cached: decades, instead of minutes
#: for a file written just now.
STABLE_MTIME = 499_162_500


@functools.lru_cache(maxsize=1)
def _lock_cached(path: str) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def load_lock() -> dict[str, Any]:
    """The parsed ``geo/assets_lock.json`` (``packages``, ``python``, ``unused``)."""
    return _lock_cached(str(LOCK_FILE))


def package_dir_name(name: str, version: str) -> str:
    """The folder (relative to the vendor dir) of one package, e.g. ``"leaflet@1.9.3"``.

    Examples
    --------
    >>> package_dir_name("@fortawesome/fontawesome-free", "6.2.0")
    '@fortawesome/fontawesome-free@6.2.0'
    """
    return f"{name}@{version}"


def _vendor_dir(dest: Path | str | None) -> Path:
    return Path(dest) if dest is not None else settings.VENDOR_DIR


def url_map() -> dict[str, str]:
    """Every CDN URL we have a copy of → its path relative to the vendor dir.

    Examples
    --------
    >>> url_map()["https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"]
    'leaflet@1.9.3/dist/leaflet.js'
    """
    lock = load_lock()
    out: dict[str, str] = {}
    for pkg in lock["packages"]:
        base = package_dir_name(pkg["name"], pkg["version"])
        for url, file in pkg["urls"].items():
            out[url] = f"{base}/{file}"
    for item in lock.get("python", []):
        base = package_dir_name(item["package"], _python_package_version(item["package"]))
        for url, file in item["urls"].items():
            out[url] = f"{base}/{file}"
    return out


def _python_package_version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


# --------------------------------------------------------------------------- registry


def _npmrc_registry(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith(("#", ";")) or "=" not in line:
            continue
        key, value = (part.strip() for part in line.split("=", 1))
        if key == "registry" and value:
            return os.path.expandvars(value.strip("\"'"))
    return None


def registry_url() -> str:
    """The npm registry the user's npm configuration names (no default is built in).

    Looks, in order, at ``$NPM_CONFIG_REGISTRY`` / ``$npm_config_registry``,
    ``registry=`` in ``./.npmrc`` (working folder, then the repository root) and
    ``~/.npmrc``, then ``npm config get registry`` when npm is installed.

    Raises
    ------
    DownloadError
        When none of them names a registry.
    """
    for env in REGISTRY_ENVS:
        value = os.environ.get(env, "").strip()
        if value:
            return value.rstrip("/") + "/"
    for rc in (Path.cwd() / ".npmrc", settings.REPO_ROOT / ".npmrc", Path.home() / ".npmrc"):
        value = _npmrc_registry(rc)
        if value:
            return value.rstrip("/") + "/"
    npm = shutil.which("npm")
    if npm:
        try:
            done = subprocess.run(
                [npm, "config", "get", "registry"], capture_output=True, text=True, timeout=60, check=False
            )
            value = done.stdout.strip().splitlines()[-1].strip() if done.stdout.strip() else ""
            if done.returncode == 0 and "://" in value:
                return value.rstrip("/") + "/"
        except (OSError, subprocess.SubprocessError):
            pass
    raise DownloadError(
        "no npm registry configured: set NPM_CONFIG_REGISTRY to your npm registry's URL "
        "(or put registry=URL in ~/.npmrc), then run `" + FETCH_COMMAND + "`"
    )


def tarball_url(registry: str, name: str, version: str) -> str:
    """The registry URL of a package tarball (the layout every npm registry serves).

    Examples
    --------
    >>> tarball_url("http://127.0.0.1:4873/", "@fortawesome/fontawesome-free", "6.2.0")
    'http://127.0.0.1:4873/@fortawesome/fontawesome-free/-/fontawesome-free-6.2.0.tgz'
    """
    base = name.rsplit("/", 1)[-1]
    return f"{registry.rstrip('/')}/{name}/-/{base}-{version}.tgz"


def check_integrity(data: bytes, integrity: str, *, what: str = "tarball") -> None:
    """Check ``data`` against an npm ``integrity`` string (``sha512-<base64>``, Subresource Integrity form).

    Raises
    ------
    DownloadError
        Naming ``what``, the expected and the computed hash.

    Examples
    --------
    >>> check_integrity(b"", "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==")
    """
    algo, _, expected = integrity.partition("-")
    if algo not in ("sha512", "sha384", "sha256", "sha1") or not expected:
        raise DownloadError(f"{what}: expected an integrity like 'sha512-<base64>', got {integrity!r}")
    got = base64.b64encode(hashlib.new(algo, data).digest()).decode("ascii")
    if got != expected:
        raise DownloadError(
            f"{what}: integrity check failed: expected {algo}-{expected}, got {algo}-{got} "
            "(corrupted or tampered download; nothing was unpacked)"
        )


def _download(url: str, *, timeout: float) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 (URL from the user's npm config)
            return resp.read()
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise DownloadError(f"cannot download {url}: {getattr(exc, 'reason', exc)}") from None


# --------------------------------------------------------------------------- unpacking and checking


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read_manifest(folder: Path) -> dict[str, Any] | None:
    try:
        return json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _package_problems(folder: Path, pkg: dict[str, Any]) -> list[str]:
    """What is wrong with an unpacked package folder (empty list: it is complete and unchanged)."""
    manifest = _read_manifest(folder)
    label = package_dir_name(pkg["name"], pkg["version"])
    if manifest is None:
        return [f"{label}: not fetched"]
    if manifest.get("integrity") != pkg["integrity"]:
        return [
            f"{label}: unpacked from another tarball ({manifest.get('integrity')!r}, expected {pkg['integrity']!r})"
        ]
    problems = []
    files: dict[str, str] = manifest.get("files", {})
    for rel, digest in files.items():
        path = folder / rel
        if not path.is_file():
            problems.append(f"{label}/{rel}: missing")
        elif _sha256(path) != digest:
            problems.append(f"{label}/{rel}: changed since it was unpacked (SHA-256 differs)")
    for file in set(pkg["urls"].values()):
        if file not in files:
            problems.append(f"{label}/{file}: not in the unpacked files")
    return problems


def _unpack(data: bytes, pkg: dict[str, Any], target: Path) -> dict[str, str]:
    """Extract the files matching ``pkg['files']`` from a verified tarball into ``target``; return their SHA-256."""
    patterns = pkg["files"]
    matched = {p: 0 for p in patterns}
    digests: dict[str, str] = {}
    rewrites: dict[str, dict[str, str]] = pkg.get("rewrite", {})
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            if not member.isfile():
                continue
            parts = member.name.split("/", 1)
            if len(parts) != 2:
                continue
            rel = parts[1]
            # Refuse absolute paths and parent references: a tarball must not write outside its folder.
            if rel.startswith("/") or ".." in Path(rel).parts:
                continue
            hits = [p for p in patterns if fnmatch.fnmatchcase(rel, p)]
            if not hits:
                continue
            for p in hits:
                matched[p] += 1
            fh = tar.extractfile(member)
            content = fh.read() if fh is not None else b""
            for old, new in rewrites.get(rel, {}).items():
                content = content.replace(old.encode(), new.encode())
            out = target / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(content)
            os.utime(out, (STABLE_MTIME, STABLE_MTIME))
            digests[rel] = hashlib.sha256(content).hexdigest()
    empty = [p for p, n in matched.items() if n == 0]
    if empty:
        raise DownloadError(
            f"{package_dir_name(pkg['name'], pkg['version'])}: no file in the tarball matches {empty} "
            "(geo/assets_lock.json does not fit this package version)"
        )
    return digests


def _install_folder(tmp: Path, final: Path) -> None:
    """Swap a freshly unpacked folder into place (the old one is removed only after the new one is complete)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    old = final.with_name(final.name + ".old")
    if old.exists():
        shutil.rmtree(old)
    if final.exists():
        final.rename(old)
    tmp.rename(final)
    if old.exists():
        shutil.rmtree(old)


def fetch_assets(
    *,
    dest: Path | str | None = None,
    registry: str | None = None,
    force: bool = False,
    timeout: float = 60.0,
    packages: Sequence[str] | None = None,
) -> list[Path]:
    """Download, verify and unpack every pinned package into ``dest``; return the local files the maps use.

    Idempotent: a package whose folder is complete and unchanged (checked
    against the SHA-256 of each file recorded when it was unpacked) is not
    downloaded again. A tarball whose ``sha512`` does not match the lock is
    refused before anything is unpacked; an old folder is replaced only once
    the new one is complete.

    Parameters
    ----------
    dest : path-like, optional
        The vendor folder (default :data:`geo.settings.VENDOR_DIR`, ``static/vendor``).
    registry : str, optional
        Registry base URL (``http(s)://`` or ``file://``); default: :func:`registry_url`,
        asked only when something has to be downloaded.
    force : bool, default False
        Download and unpack again even when the files are in place.
    timeout : float, default 60
        Seconds to wait for the registry.
    packages : sequence of str, optional
        Only these npm packages of the lock (by name); default all, plus the
        files copied from Python packages.

    Returns
    -------
    list of Path
        The local copy of every CDN file in the lock (the files :func:`localize` links).

    Raises
    ------
    DownloadError
        No registry configured, a download failed, or an integrity check failed.

    Examples
    --------
    >>> files = fetch_assets()  # doctest: +SKIP
    >>> files[0].relative_to(settings.VENDOR_DIR).as_posix()  # doctest: +SKIP
    'leaflet@1.9.3/dist/leaflet.js'
    """
    root = _vendor_dir(dest)
    root.mkdir(parents=True, exist_ok=True)
    lock = load_lock()
    wanted = None if packages is None else set(packages)
    unknown = sorted(wanted - {p["name"] for p in lock["packages"]}) if wanted else []
    if unknown:
        raise DownloadError(f"packages: expected names from geo/assets_lock.json, got {unknown}")
    for pkg in lock["packages"]:
        if wanted is not None and pkg["name"] not in wanted:
            continue
        folder = root / package_dir_name(pkg["name"], pkg["version"])
        if not force and not _package_problems(folder, pkg):
            _stabilize_mtimes(folder)  # folders unpacked by an older version of this function
            continue
        if registry is None:
            registry = registry_url()
        url = tarball_url(registry, pkg["name"], pkg["version"])
        data = _download(url, timeout=timeout)
        check_integrity(data, pkg["integrity"], what=url)
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent if folder.parent.exists() else root))
        try:
            digests = _unpack(data, pkg, tmp)
            manifest = {"name": pkg["name"], "version": pkg["version"], "integrity": pkg["integrity"], "files": digests}
            (tmp / MANIFEST_NAME).write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
            _install_folder(tmp, folder)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp)
    if wanted is not None:
        names = {package_dir_name(p["name"], p["version"]) for p in lock["packages"] if p["name"] in wanted}
        return [root / rel for rel in dict.fromkeys(url_map().values()) if any(rel.startswith(n + "/") for n in names)]
    for item in lock.get("python", []):
        _copy_python_file(item, root, force=force)
    return [root / rel for rel in dict.fromkeys(url_map().values())]


def _copy_python_file(item: dict[str, Any], root: Path, *, force: bool) -> Path:
    """Copy a file shipped inside an installed Python package (e.g. folium's heat-map plugin), checking its SHA-256."""
    spec = importlib.util.find_spec(item["package"])
    if spec is None or not spec.submodule_search_locations:
        raise DownloadError(f"Python package {item['package']!r} is not installed; cannot copy {item['file']}")
    source = Path(list(spec.submodule_search_locations)[0]) / item["file"]
    target = root / package_dir_name(item["package"], _python_package_version(item["package"])) / item["file"]
    if not force and target.is_file() and _sha256(target) == item["sha256"]:
        return target
    if not source.is_file():
        raise DownloadError(f"{source} does not exist (expected in the installed {item['package']})")
    digest = _sha256(source)
    if digest != item["sha256"]:
        raise DownloadError(f"{source}: expected SHA-256 {item['sha256']}, got {digest}")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    os.utime(target, (STABLE_MTIME, STABLE_MTIME))
    return target


def _stabilize_mtimes(folder: Path) -> None:
    """Give every file of an unpacked package :data:`STABLE_MTIME` (its URL names the package version)."""
    for path in folder.rglob("*"):
        if path.is_file() and path.name != MANIFEST_NAME and path.stat().st_mtime != STABLE_MTIME:
            os.utime(path, (STABLE_MTIME, STABLE_MTIME))


# --------------------------------------------------------------------------- files the app writes


#: File names each folder got from :func:`publish_file` in this process (the folder resolved): pages of
#: this process may reference them at any time, so :func:`clean_generated` never deletes them.
_PUBLISHED: dict[str, set[str]] = {}

#: What :func:`publish_file` writes (``<name>-<16 hex digits><suffix>``) and its temporary files
#: (``.<file name>.<random>``, left behind only by a crash): the only names :func:`clean_generated` deletes.
_GENERATED_NAME = re.compile(r"^\.?[A-Za-z0-9-]+-[0-9a-f]{16}\.[A-Za-z0-9]+(\.[A-Za-z0-9_]+)?$")


def publish_file(name: str, content: bytes, *, suffix: str, dest: Path | str | None = None) -> str:
    """Write ``content`` once as ``<name>-<hash><suffix>`` in ``static/generated/``; return its URL.

    The name carries the first 16 hex digits of the content's SHA-256, so a URL
    always means the same bytes: the file is written only when missing
    (atomically, so a concurrent reader never sees half a file), given
    :data:`STABLE_MTIME`, and the browser may keep it as long as it likes.

    Parameters
    ----------
    name : str
        The file name's stem (letters, digits, ``-``).
    content : bytes
        What the file holds.
    suffix : str
        ``.js``, ``.json``...
    dest : path-like, optional
        The folder (default :data:`geo.settings.GENERATED_DIR`, served at
        :data:`geo.settings.GENERATED_URL`).

    Raises
    ------
    AssetsMissingError
        When the folder cannot be written (read-only install).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     publish_file("demo", b"window.x = 1;", suffix=".js", dest=tmp)
    '/app/static/generated/demo-535054d017c085a0.js'
    """
    if not name.replace("-", "").isalnum():
        raise ValueError(f"name: expected letters, digits and '-', got {name!r}")
    folder = Path(dest) if dest is not None else settings.GENERATED_DIR
    file_name = f"{name}-{hashlib.sha256(content).hexdigest()[:16]}{suffix}"
    target = folder / file_name
    _PUBLISHED.setdefault(str(folder.resolve()), set()).add(file_name)
    if target.is_file() and target.stat().st_size == len(content):
        # Published again: its change time (ctime) becomes now, which is what clean_generated ages by
        # (the modification time stays STABLE_MTIME for the browser's cache).
        with contextlib.suppress(OSError):
            os.utime(target, (STABLE_MTIME, STABLE_MTIME))
    else:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{file_name}.", dir=folder)
            with os.fdopen(fd, "wb") as fh:
                fh.write(content)
            os.utime(tmp, (STABLE_MTIME, STABLE_MTIME))
            os.replace(tmp, target)
        except OSError as exc:
            raise AssetsMissingError(f"cannot write {target} for the browser: {exc}") from None
    return f"{settings.GENERATED_URL}/{file_name}"


def clean_generated(
    dest: Path | str | None = None, *, keep_hours: float | None = None, now: float | None = None
) -> list[Path]:
    """Delete the stale files of :func:`publish_file`'s folder; return what was deleted.

    Content-addressed files are never overwritten, so each new version of the
    map's script or boundaries adds a file. A file is deleted only when all hold:

    - its name is one :func:`publish_file` writes (or a temporary file of it);
    - this process did not publish it (its pages may reference it at any time);
    - no process published it in the last ``keep_hours``: :func:`publish_file`
      refreshes the file's change time each time it publishes it (its
      modification time is :data:`STABLE_MTIME`), and a file read by a browser
      in that time (access time, where the file system records it) is kept too.

    Parameters
    ----------
    dest : path-like, optional
        The folder (default :data:`geo.settings.GENERATED_DIR`).
    keep_hours : float, optional
        Default :data:`geo.settings.GENERATED_KEEP_HOURS`.
    now : float, optional
        The current time (seconds since the epoch; default: now).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     url = publish_file("demo", b"window.x = 1;", suffix=".js", dest=tmp)
    ...     clean_generated(tmp, keep_hours=0, now=time.time() + 10)  # published here: kept
    []
    """
    folder = Path(dest) if dest is not None else settings.GENERATED_DIR
    hours = settings.GENERATED_KEEP_HOURS if keep_hours is None else keep_hours
    cutoff = (time.time() if now is None else now) - hours * 3600
    mine = _PUBLISHED.get(str(folder.resolve()), set())
    deleted: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return deleted
    for entry in entries:
        if entry.name in mine or not _GENERATED_NAME.match(entry.name):
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            info = entry.stat(follow_symlinks=False)
            if max(info.st_ctime, info.st_atime) >= cutoff:
                continue
            os.unlink(entry.path)
        except FileNotFoundError:  # another process cleaned it first
            continue
        except OSError:  # not ours to delete (read-only install): leave it
            continue
        deleted.append(Path(entry.path))
    return sorted(deleted)


def verify_assets(*, dest: Path | str | None = None) -> list[str]:
    """Check the unpacked assets against their manifests and the lock; return the problems (empty: all good).

    Examples
    --------
    >>> verify_assets(dest="/nonexistent")[0]
    'leaflet@1.9.3: not fetched'
    """
    root = _vendor_dir(dest)
    lock = load_lock()
    problems: list[str] = []
    for pkg in lock["packages"]:
        problems += _package_problems(root / package_dir_name(pkg["name"], pkg["version"]), pkg)
    for item in lock.get("python", []):
        target = root / package_dir_name(item["package"], _python_package_version(item["package"])) / item["file"]
        if not target.is_file():
            problems.append(f"{target.relative_to(root).as_posix()}: not fetched")
        elif _sha256(target) != item["sha256"]:
            problems.append(f"{target.relative_to(root).as_posix()}: SHA-256 differs from the lock")
    return problems


def assets_ready(*, dest: Path | str | None = None) -> bool:
    """True when every file :func:`localize` may link is present in the vendor folder (a cheap check).

    Examples
    --------
    >>> assets_ready(dest="/nonexistent")
    False
    """
    root = _vendor_dir(dest)
    return all((root / rel).is_file() for rel in set(url_map().values()))


# --------------------------------------------------------------------------- localizing folium maps


def _walk(element: Any, seen: set[int] | None = None) -> Iterator[Any]:
    """Every element under ``element`` (children, DualMap halves), each once."""
    seen = set() if seen is None else seen
    if id(element) in seen:
        return
    seen.add(id(element))
    yield element
    for attr in ("m1", "m2"):  # folium.plugins.DualMap keeps its two maps as attributes
        sub = getattr(element, attr, None)
        if sub is not None and hasattr(sub, "_children"):
            yield from _walk(sub, seen)
    for child in list(getattr(element, "_children", {}).values()):
        yield from _walk(child, seen)


def localize(
    m: Any,
    *,
    base_url: str = settings.VENDOR_URL,
    dest: Path | str | None = None,
    check: bool = True,
) -> Any:
    """Point every script and stylesheet of a folium map at the local copies; return the same map.

    Walks the map, all its children (plugins included) and its figure's
    header, and replaces each CDN URL in ``default_js``/``default_css`` (set as
    instance attributes, so folium's class defaults stay untouched) and in any
    ``JavascriptLink``/``CssLink`` with ``base_url/<package>@<version>/<file>``.
    URLs listed as unused in the lock are dropped. Tile URLs are not scripts
    and are left alone. The map is changed in place (folium maps are built up
    by mutation) and returned for chaining.

    Parameters
    ----------
    m : folium.Map
        The map (or any folium element).
    base_url : str, default ``"/app/static/vendor"``
        Where the browser finds the vendor folder (Streamlit's static serving);
        use a ``file://`` URL or a relative path for a saved HTML file.
    dest : path-like, optional
        The vendor folder checked for the files (default ``static/vendor``).
    check : bool, default True
        Raise when a local file is missing.

    Raises
    ------
    AssetsMissingError
        A URL has no local copy in the lock, a local file is missing (the
        message names it and says to run ``python -m geo fetch-assets``), or the
        map holds a branca colormap (streamlit-folium then loads d3 from a CDN).

    Examples
    --------
    >>> import folium
    >>> m = localize(folium.Map(tiles=None), check=False)
    >>> dict(m.default_js)["leaflet"]
    '/app/static/vendor/leaflet@1.9.3/dist/leaflet.js'
    """
    from branca.colormap import ColorMap
    from branca.element import CssLink, JavascriptLink

    mapping = url_map()
    unused = set(load_lock().get("unused", {}))
    root = _vendor_dir(dest)
    base = base_url.rstrip("/")

    def local(url: str, owner: str, name: str) -> str | None:
        if url in unused:
            return None
        if url.startswith(base + "/") or "://" not in url and not url.startswith("//"):
            return url
        rel = mapping.get(url)
        if rel is None:
            raise AssetsMissingError(
                f"{owner} loads {name!r} from {url}, and there is no local copy of it: add its npm package "
                "and this URL to geo/assets_lock.json, then run `" + FETCH_COMMAND + "`"
            )
        if check and not (root / rel).is_file():
            raise AssetsMissingError(
                f"{owner} needs {rel} (for {url}), which is missing from {root}: run `{FETCH_COMMAND}`"
            )
        return f"{base}/{rel}"

    elements = list(_walk(m))
    root_fig = m.get_root() if hasattr(m, "get_root") else None
    if root_fig is not None and root_fig is not m:
        elements += list(_walk(root_fig))
    for el in elements:
        owner = type(el).__name__
        if isinstance(el, ColorMap):
            raise AssetsMissingError(
                f"the map holds a branca colormap ({owner}); streamlit-folium then loads d3 from a public CDN. "
                "Draw the legend with geo.maps.legend_html() instead"
            )
        for attr in ("default_js", "default_css"):
            links = getattr(el, attr, None)
            if not links:
                continue
            new = []
            for name, url in links:
                target = local(url, owner, name)
                if target is not None:
                    new.append((name, target))
            setattr(el, attr, new)
        if isinstance(el, (JavascriptLink, CssLink)):
            target = local(el.url, owner, el.get_name())
            if target is not None:
                el.url = target
        # A figure rendered before holds links to unused URLs in its header: drop them.
        for key, child in list(getattr(el, "_children", {}).items()):
            if isinstance(child, (JavascriptLink, CssLink)) and child.url in unused:
                del el._children[key]
    return m
