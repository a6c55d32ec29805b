"""Backup and restore of the database and the report store.

A backup is a directory: the database (SQLite through the online backup API,
consistent while the site runs; PostgreSQL as a `pg_dump` custom-format
archive), a copy of the report store and `manifest.json`. A restore goes into
an empty database only, then brings its schema up to date."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import sqlite3
import subprocess  # noqa: S404 - pg_dump and pg_restore, with fixed arguments
from dataclasses import dataclass
from pathlib import Path

from peewee import Database, PostgresqlDatabase, SqliteDatabase, Value, fn

from models import ReportFile
from models.migrate import runner, upgrade

logger = logging.getLogger(__name__)

FORMAT = 1
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
REPORTS = "reports"
MANIFEST = "manifest.json"


class BackupError(Exception):
    """The backup or restore cannot go ahead; the message says why (in Dutch)."""


@dataclass(frozen=True)
class Outcome:
    directory: Path
    backend: str
    report_files: int
    migrations: list[str]


def _pg_environment(database: PostgresqlDatabase) -> tuple[dict[str, str], str]:
    """Connection settings for the PostgreSQL tools, through the environment so
    the password never appears in a process list."""
    params = database.connect_params
    env = dict(os.environ)
    for key, name in (("host", "PGHOST"), ("port", "PGPORT"), ("user", "PGUSER")):
        if params.get(key):
            env[name] = str(params[key])
    if params.get("password"):
        env["PGPASSWORD"] = params["password"]
    return env, database.database


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is niet gevonden; installeer de PostgreSQL-clientprogramma's.")
    return path


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} mislukt: {done.stderr.strip()[-2000:]}")


def _copy_store(source: Path, target: Path) -> int:
    """Copy the report files (not the half-written temporaries); returns how many."""
    count = 0
    if not source.is_dir():
        target.mkdir(parents=True, exist_ok=True)
        return 0
    for path in sorted(source.rglob("*")):
        if not path.is_file() or path.name.endswith(".tmp"):
            continue
        destination = target / path.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, destination)
        count += 1
    return count


def _applied(database: Database) -> list[str]:
    return [m.name for m in runner(database).status() if m.applied]


def create(database: Database, reports_dir: Path, directory: Path) -> Outcome:
    """Write a backup of `database` and the report store into `directory`
    (new or empty). The database first: every report file it names already
    exists then, so the store copied after it holds them all."""
    directory = Path(directory)
    if directory.exists() and any(directory.iterdir()):
        raise BackupError(f"{directory} is niet leeg; kies een nieuwe map voor de backup.")
    directory.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now(dt.UTC)
    migrations = _applied(database)
    if isinstance(database, SqliteDatabase):
        backend = "sqlite"
        # The online backup API copies a consistent snapshot while others write.
        source = sqlite3.connect(database.database, timeout=30)
        target = sqlite3.connect(directory / SQLITE_FILE)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
    elif isinstance(database, PostgresqlDatabase):
        backend = "postgresql"
        env, name = _pg_environment(database)
        _run([_tool("pg_dump"), "--format=custom", f"--file={directory / PG_FILE}", name], env)
    else:
        raise BackupError(f"Onbekend databasetype: {type(database).__name__}")
    files = _copy_store(Path(reports_dir), directory / REPORTS)
    manifest = {
        "format": FORMAT,
        "backend": backend,
        "created_at": started.isoformat(timespec="seconds"),
        "migrations": migrations,
        "reports_dir": str(Path(reports_dir).resolve()),
        "report_files": files,
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    logger.info("backup written to %s: %s, %d report files", directory, backend, files)
    return Outcome(directory, backend, files, migrations)


def _manifest(directory: Path) -> dict:
    path = Path(directory) / MANIFEST
    if not path.is_file():
        raise BackupError(f"{directory} is geen backup (manifest.json ontbreekt).")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Onbekend backupformaat: {manifest.get('format')!r}.")
    return manifest


def restore(database: Database, reports_dir: Path, directory: Path) -> Outcome:
    """Restore the backup in `directory` into `database`, which must be empty,
    and its report files into `reports_dir`, which must hold no files."""
    directory = Path(directory)
    manifest = _manifest(directory)
    backend = "sqlite" if isinstance(database, SqliteDatabase) else "postgresql"
    if manifest["backend"] != backend:
        raise BackupError(
            f"Deze backup is van {manifest['backend']} en kan niet in {backend} worden teruggezet."
        )
    if database.get_tables():
        raise BackupError(
            "De database is niet leeg; zet een backup alleen terug in een nieuwe, lege database."
        )
    reports_dir = Path(reports_dir)
    if reports_dir.is_dir() and any(p.is_file() for p in reports_dir.rglob("*")):
        raise BackupError(f"De rapportopslag {reports_dir} is niet leeg.")
    if backend == "sqlite":
        source = sqlite3.connect(f"file:{directory / SQLITE_FILE}?mode=ro", uri=True)
        try:
            source.backup(database.connection())
        finally:
            source.close()
    else:
        env, name = _pg_environment(database)
        _run(
            [
                _tool("pg_restore"),
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={name}",
                str(directory / PG_FILE),
            ],
            env,
        )
    files = _copy_store(directory / REPORTS, reports_dir)
    _rebase_report_paths(manifest["reports_dir"], reports_dir.resolve())
    applied = upgrade(database)
    logger.info("backup %s restored: %d report files, migrations %s", directory, files, applied)
    return Outcome(directory, backend, files, applied)


def _rebase_report_paths(old_root: str, new_root: Path) -> None:
    """Point the report rows at the restored store, wherever it now lives."""
    if Path(old_root) == new_root:
        return
    prefix = old_root.rstrip("/") + "/"
    ReportFile.update(
        path=Value(str(new_root) + "/").concat(fn.SUBSTR(ReportFile.path, len(prefix) + 1))
    ).where(ReportFile.path.startswith(prefix)).execute()
