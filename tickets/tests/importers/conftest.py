"""A real django-helpdesk desk to import from, made once per test process.

The real package (``django-helpdesk==2.6.1``) is installed into a throwaway virtualenv under
``var/`` (kept between runs, keyed by the version and the Python), which migrates an empty
database — on PostgreSQL runs ``<test database>_dh_source_<worker>`` on the test server, else an
SQLite file — and fills it through django-helpdesk's own models (``dh_source.py``). Without network or pip the tests skip on a developer's machine and fail
under CI=true.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings

DH_VERSION = "2.6.1"
PACKAGES = [f"django-helpdesk=={DH_VERSION}", "Django==5.2.19", "psycopg[binary]==3.3.9"]
SCRIPT = Path(__file__).with_name("dh_source.py")


def _unavailable(message: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def source_venv() -> Path:
    """The throwaway virtualenv with django-helpdesk, made once and kept under var/."""
    var = Path(settings.VAR_DIR)
    var.mkdir(parents=True, exist_ok=True)
    root = var / f"django-helpdesk-{DH_VERSION}-py{sys.version_info.major}{sys.version_info.minor}"
    python = root / "bin" / "python"
    with open(var / f"{root.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two test workers: one builds, the other waits
        if (root / ".ready").exists():
            return python
        shutil.rmtree(root, ignore_errors=True)
        started = time.monotonic()
        made = subprocess.run([sys.executable, "-m", "venv", str(root)], capture_output=True, text=True)
        if made.returncode != 0:
            _unavailable(f"cannot make a virtualenv for django-helpdesk: {made.stderr[-500:]}")
        pip = subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *PACKAGES],
            capture_output=True,
            text=True,
            timeout=900,
        )
        if pip.returncode != 0:
            shutil.rmtree(root, ignore_errors=True)
            _unavailable(f"cannot install {' '.join(PACKAGES)} (offline?): {pip.stderr[-800:]}")
        (root / ".ready").write_text(f"built in {time.monotonic() - started:.1f} s\n")
    return python


@dataclass
class Source:
    url: str
    media_root: Path
    manifest: dict[str, Any]
    vendor: str

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        """Change the source database (as django-helpdesk would, between two imports)."""
        if self.vendor == "postgresql":
            with psycopg.connect(self.url.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
                conn.execute(sql, params)
        else:
            path = self.url.removeprefix("sqlite://")
            with contextlib.closing(sqlite3.connect(path)) as conn:
                conn.execute(sql.replace("%s", "?"), params)
                conn.commit()

    def copy(self, name: str) -> str:
        """A copy of the source database (as a restored dump would be); returns its URL."""
        if self.vendor == "postgresql":
            _db, base = _postgres_admin()
            admin_url = f"{base}/postgres".replace("postgres://", "postgresql://", 1)
            source_name = self.url.rsplit("/", 1)[-1]
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
                conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source_name}"')
            return f"{base}/{name}"
        path = Path(self.url.removeprefix("sqlite://"))
        target = path.with_name(f"{name}.sqlite3")
        shutil.copyfile(path, target)
        return f"sqlite://{target}"

    def drop_copy(self, name: str) -> None:
        if self.vendor == "postgresql":
            _db, base = _postgres_admin()
            with psycopg.connect(
                f"{base}/postgres".replace("postgres://", "postgresql://", 1), autocommit=True
            ) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def tickets(self, **match: Any) -> list[dict[str, Any]]:
        return [t for t in self.manifest["tickets"] if all(t[k] == v for k, v in match.items())]


def _postgres_admin() -> tuple[dict[str, Any], str]:
    db = settings.DATABASES["default"]
    user = quote(db.get("USER") or "postgres")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    base = f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}"
    return db, base


@pytest.fixture(scope="session")
def dh_source(tmp_path_factory) -> Any:
    """A django-helpdesk database with generated content, its media folder and its manifest."""
    python = source_venv()
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    media = tmp_path_factory.mktemp("dh-media")
    vendor = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    # Beside this run's own test database (its name says branch and worker): another checkout's
    # tests on the same server never meet this one.
    name = f"{settings.DATABASES['default']['NAME']}_dh_source_{worker}"[-63:]
    if vendor == "postgresql":
        _db, base = _postgres_admin()
        admin_url = f"{base}/postgres".replace("postgres://", "postgresql://", 1)
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        url = f"{base}/{name}"
    else:
        vendor = "sqlite"
        url = f"sqlite://{tmp_path_factory.mktemp('dh-db') / 'helpdesk.sqlite3'}"
    started = time.monotonic()
    made = subprocess.run(
        [str(python), str(SCRIPT)],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DH_SOURCE_DATABASE": url, "DH_SOURCE_MEDIA": str(media)},
        cwd=media,  # never the repository: its own package is also called "helpdesk"
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert made.returncode == 0, made.stderr[-2000:]
    print(f"django-helpdesk source made in {time.monotonic() - started:.1f} s", file=sys.stderr)
    yield Source(url=url, media_root=media, manifest=json.loads(made.stdout), vendor=vendor)
    if vendor == "postgresql":
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
