"""A throwaway PostgreSQL + PostGIS server in a temporary folder, for the tests and the benchmark.

Debian's ``postgresql-15`` and ``postgresql-15-postgis-3`` packages provide ``initdb`` and ``pg_ctl`` under
``/usr/lib/postgresql/15/bin``. The server listens on 127.0.0.1 on a free port, its socket and data live in
the temporary folder, and it is stopped and removed on :meth:`TempPostgres.stop`. ``initdb`` refuses to run
as root, so as root the server runs as the ``postgres`` system user (``runuser``) in a folder it owns.

Usage::

    with TempPostgres() as pg:
        url = pg.new_database()          # postgresql+psycopg://afgmap@127.0.0.1:PORT/db_1, PostGIS installed
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

#: Environment variable: the folder holding initdb and pg_ctl (default: the newest /usr/lib/postgresql/*/bin).
PG_BIN_ENV = "AFGMAP_PG_BIN"
#: The superuser initdb creates (trust authentication, local connections only).
SUPERUSER = "afgmap"
#: The system user the server runs as when we are root.
SYSTEM_USER = "postgres"


def find_pg_bin() -> Path | None:
    """The folder with ``initdb`` and ``pg_ctl``, or None when PostgreSQL is not installed."""
    configured = os.environ.get(PG_BIN_ENV, "").strip()
    candidates = [configured] if configured else sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for folder in candidates:
        if folder and (Path(folder) / "initdb").is_file() and (Path(folder) / "pg_ctl").is_file():
            return Path(folder)
    return None


def postgis_installed(bin_dir: Path) -> bool:
    """Whether the PostGIS extension files for this server are installed."""
    share = subprocess.run([bin_dir / "pg_config", "--sharedir"], capture_output=True, text=True, check=False)
    folder = Path(share.stdout.strip() or "/nonexistent") / "extension"
    return (folder / "postgis.control").is_file()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TempPostgres:
    """A PostgreSQL server of its own, with PostGIS available, until :meth:`stop`.

    Parameters
    ----------
    durable : bool
        Keep ``fsync`` on (benchmarks). Tests turn it off: nothing they write must survive a power cut.
    """

    def __init__(self, *, durable: bool = False):
        bin_dir = find_pg_bin()
        if bin_dir is None:
            raise FileNotFoundError(
                "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb; apt-get install postgresql "
                f"postgresql-15-postgis-3, or set ${PG_BIN_ENV})"
            )
        if not postgis_installed(bin_dir):
            raise FileNotFoundError(f"PostGIS is not installed for {bin_dir} (apt-get install postgresql-15-postgis-3)")
        self.bin = bin_dir
        self.durable = durable
        self.port = _free_port()
        self.root = Path(tempfile.mkdtemp(prefix="afgmap-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self._n = 0
        self._as_root = os.geteuid() == 0
        self._template = ""

    def _run(self, *args: str | Path) -> subprocess.CompletedProcess:
        cmd = [str(a) for a in args]
        if self._as_root:
            cmd = ["runuser", "-u", SYSTEM_USER, "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=120)

    def start(self) -> TempPostgres:
        if self._as_root:
            shutil.chown(self.root, user=SYSTEM_USER)
        init = self._run(self.bin / "initdb", "-D", self.data, "-U", SUPERUSER, "--auth=trust", "-E", "UTF8",
                         "--locale=C.UTF-8")  # fmt: skip
        if init.returncode != 0:
            raise RuntimeError(f"initdb failed: {init.stderr or init.stdout}")
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c max_connections=60"
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        started = self._run(self.bin / "pg_ctl", "-D", self.data, "-l", self.log, "-o", options, "-w", "-t", "60",
                            "start")  # fmt: skip
        if started.returncode != 0:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {started.stderr or started.stdout}\n{log}")
        self._template = self._create("afgmap_template", postgis=True)
        return self

    def _admin(self):
        import psycopg

        return psycopg.connect(
            host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres", autocommit=True, connect_timeout=10
        )

    def _create(self, name: str, *, postgis: bool = False, template: str = "") -> str:
        import psycopg

        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        if postgis:
            with psycopg.connect(host="127.0.0.1", port=self.port, user=SUPERUSER, dbname=name, autocommit=True) as c:
                c.execute("CREATE EXTENSION postgis")
        return name

    def new_database(self) -> str:
        """A new empty database with PostGIS installed; returns its SQLAlchemy URL."""
        self._n += 1
        name = self._create(f"db_{self._n}_{int(time.time() * 1000) % 100000}", template=self._template)
        return self.url(name)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        if self.data.exists():
            self._run(self.bin / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> TempPostgres:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()
