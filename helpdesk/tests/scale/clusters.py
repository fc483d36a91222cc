"""pytest plugin for ``make test-scale`` (``-p helpdesk.tests.scale.clusters``): a real primary, a
real streaming replica of it and a real PgBouncer in transaction mode, for the session.

Started before Django reads its settings (this plugin's ``pytest_load_initial_conftests`` runs
before pytest-django's), because the settings are read from the environment exactly as in a
deployment:

- a PostgreSQL cluster of its own (``initdb``; its default ``pg_hba.conf`` trusts replication
  from 127.0.0.1), on a free port, in a temporary directory;
- a replica made from it with ``pg_basebackup -R -X stream`` (a ``standby.signal`` and
  ``primary_conninfo``: a hot standby streaming from the primary), on another free port;
- PgBouncer (``pool_mode = transaction``, and ``server_reset_query_always`` so a server's session
  state is wiped after every transaction: anything that leans on it fails here, every time,
  instead of now and then in production) in front of the primary;
- ``DATABASE_URL`` → PgBouncer (``DATABASE_POOLER=pgbouncer``), ``DATABASE_DIRECT_URL`` → the
  primary, ``DATABASE_REPLICA_URLS`` → the replica, live updates over PostgreSQL ``LISTEN``.

Everything is stopped and deleted when the session ends. A missing tool is reported by the
``scale`` fixture (skip on a user's machine, fail under ``CI=true``). Run as root, the servers run
as the ``postgres`` user (``pg_ctl`` refuses root).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

DATABASE = "helpdesk"


@dataclass
class Clusters:
    base: Path
    bindir: Path
    primary_port: int = 0
    replica_port: int = 0
    bouncer_port: int = 0
    bouncer: subprocess.Popen | None = None
    started: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    error: str = ""
    stopped: bool = False

    # --- addresses ---------------------------------------------------------------------------
    def url(self, port: int, database: str = DATABASE) -> str:
        return f"postgres://postgres@127.0.0.1:{port}/{database}"

    @property
    def replica_data(self) -> Path:
        return self.base / "replica"

    # --- control, for the tests --------------------------------------------------------------
    def run_as_postgres(self, command: list[str], timeout: float = 120) -> subprocess.CompletedProcess:
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=True, capture_output=True, text=True, timeout=timeout)

    def pg_ctl(self, data: Path, action: str, port: int | None = None) -> None:
        command = [str(self.bindir / "pg_ctl"), "-D", str(data), "-w", "-t", "60"]
        if action == "start":
            assert port is not None
            options = f"-p {port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off -c jit=off"
            command += ["-l", str(data.parent / f"{data.name}.log"), "-o", options, "start"]
        else:
            command += ["-m", "fast", action]
        self.run_as_postgres(command)

    def stop_replica(self) -> None:
        self.pg_ctl(self.replica_data, "stop")

    def start_replica(self) -> None:
        self.pg_ctl(self.replica_data, "start", self.replica_port)

    def bouncer_admin(self, command: str) -> str:
        """A command on PgBouncer's admin console (``SHOW STATS``...), through psql."""
        done = subprocess.run(
            [
                str(self.bindir / "psql"),
                *("-h", "127.0.0.1", "-p", str(self.bouncer_port), "-U", "postgres", "-At", "-F", "|"),
                *("-d", "pgbouncer", "-c", command),
            ],
            check=True,
            capture_output=True,
            text=True,
            timeout=30,
        )
        return done.stdout

    # --- set-up and tear-down ----------------------------------------------------------------
    def start(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres")
        self.primary_port, self.replica_port, self.bouncer_port = _free_ports(3)
        primary = self.base / "primary"
        self.run_as_postgres(
            [
                str(self.bindir / "initdb"),
                "-D",
                str(primary),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ]
        )
        self.pg_ctl(primary, "start", self.primary_port)
        self.started.append("primary")
        self.run_as_postgres(
            [
                str(self.bindir / "pg_basebackup"),
                *("-h", "127.0.0.1", "-p", str(self.primary_port), "-U", "postgres"),
                *("-D", str(self.replica_data), "-R", "-X", "stream", "-c", "fast", "--no-sync"),
            ]
        )
        self.start_replica()
        self.started.append("replica")
        self._start_bouncer()
        self.run_as_postgres(
            [str(self.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(self.primary_port), "-U", "postgres", DATABASE]
        )

    def _start_bouncer(self) -> None:
        directory = self.base / "pgbouncer"
        directory.mkdir()
        (directory / "userlist.txt").write_text('"postgres" ""\n')
        (directory / "pgbouncer.ini").write_text(
            "\n".join(
                [
                    "[databases]",
                    f"* = host=127.0.0.1 port={self.primary_port}",
                    "[pgbouncer]",
                    "listen_addr = 127.0.0.1",
                    f"listen_port = {self.bouncer_port}",
                    "unix_socket_dir =",
                    "auth_type = trust",
                    f"auth_file = {directory / 'userlist.txt'}",
                    "admin_users = postgres",
                    "pool_mode = transaction",
                    "server_reset_query = DISCARD ALL",
                    "server_reset_query_always = 1",
                    "default_pool_size = 4",
                    "max_client_conn = 200",
                    f"logfile = {directory / 'pgbouncer.log'}",
                    "",
                ]
            )
        )
        if os.geteuid() == 0:
            for path in (directory, *directory.iterdir()):
                shutil.chown(path, "postgres")
        command = [shutil.which("pgbouncer") or "pgbouncer", str(directory / "pgbouncer.ini")]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        self.bouncer = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.bouncer_port), timeout=1):
                self.started.append("pgbouncer")
                return
            if self.bouncer.poll() is not None:
                break
            time.sleep(0.1)
        log = (directory / "pgbouncer.log").read_text() if (directory / "pgbouncer.log").exists() else ""
        raise RuntimeError(f"PgBouncer did not start: {log[-2000:]}")

    def stop(self) -> None:
        """Stop everything started (once; also called at exit, should pytest end before
        ``pytest_unconfigure``, e.g. when the settings fail to load)."""
        if self.stopped:
            return
        self.stopped = True
        if self.bouncer is not None and self.bouncer.poll() is None:
            self.bouncer.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.bouncer.wait(timeout=10)
        for name, data in (("replica", self.replica_data), ("primary", self.base / "primary")):
            if name in self.started and (data / "postmaster.pid").exists():
                with contextlib.suppress(Exception):
                    self.run_as_postgres(
                        [str(self.bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], timeout=60
                    )
        shutil.rmtree(self.base, ignore_errors=True)


def _free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _bindir() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    return found[-1] if found else None


_clusters: Clusters | None = None


def current() -> Clusters | None:
    return _clusters


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser, args: list[str]) -> None:
    global _clusters
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return  # the controller's clusters only; make test-scale runs without workers
    bindir = _bindir()
    clusters = Clusters(base=Path(tempfile.mkdtemp(prefix="helpdesk-scale-")), bindir=bindir or Path("/nonexistent"))
    _clusters = clusters
    for tool in ("initdb", "pg_ctl", "pg_basebackup", "createdb", "psql"):
        if bindir is None or not (bindir / tool).exists():
            clusters.missing.append(tool)
    if not shutil.which("pgbouncer"):
        clusters.missing.append("pgbouncer")
    if clusters.missing:
        return
    atexit.register(clusters.stop)
    try:
        clusters.start()
    except Exception as exc:  # reported by the `scale` fixture, with the servers' words
        detail = getattr(exc, "stderr", "") or ""
        clusters.error = f"{exc} {detail}".strip()
        return
    os.environ.update(
        {
            "DATABASE_URL": clusters.url(clusters.bouncer_port),
            "DATABASE_POOLER": "pgbouncer",
            "DATABASE_DIRECT_URL": clusters.url(clusters.primary_port),
            "DATABASE_REPLICA_URLS": clusters.url(clusters.replica_port),
            "HELPDESK_LIVE_BUS": "postgres",
            "HELPDESK_SCALE_TEST": "1",
        }
    )
    os.environ.pop("REDIS_URL", None)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _clusters is not None:
        _clusters.stop()
