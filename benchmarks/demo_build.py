"""Build a demo data set into a scratch database and report wall time, peak
memory, database size and row counts.

    python -m benchmarks.demo_build --scale national [--database-url URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import tempfile
import time
from pathlib import Path

import demo
from domain import framework, indicators
from domain.reference import load_reference_data
from models import db, init_database
from models.migrate import upgrade


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", choices=list(demo.SCALES), default="national")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--until", default="2026-Q4")
    parser.add_argument("--database-url", help="default: a scratch SQLite file")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "bench.db"
        url = args.database_url or f"sqlite:///{path}"
        database = init_database(url)
        with database.connection_context():
            upgrade(database)
            load_reference_data()
            framework.import_framework(
                framework.load_file(framework.DEFAULT_FRAMEWORK), publish=True
            )
            indicators.import_indicators(indicators.load_file(indicators.DEFAULT_INDICATORS))
            if demo.has_demo_data():
                demo.clear_demo_data()
            started = time.perf_counter()
            counts = demo.generate(
                args.scale, args.seed, last_period=args.until, today=dt.date(2026, 11, 23)
            )
            elapsed = time.perf_counter() - started
            if db.obj.__class__.__name__ == "SqliteDatabase":
                db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                size = os.path.getsize(path)
            else:
                size = db.execute_sql("SELECT pg_database_size(current_database())").fetchone()[0]
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"scale                {args.scale} (seed {args.seed}, until {args.until})")
        print(f"database             {url.split('://')[0]}")
        for key, value in counts.items():
            print(f"{key:<20} {value:,}".replace(",", "."))
        print(f"wall time            {elapsed:.1f} s")
        print(f"peak memory          {peak_mb:.0f} MB")
        print(f"database size        {size / 1024 / 1024:.0f} MB")


if __name__ == "__main__":
    main()
