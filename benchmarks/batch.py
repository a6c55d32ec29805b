"""The batch benchmark: on national demo data, the wall time and peak memory
of a full recompute and of a no-change nightly run, beside the floor — one
aggregate query that reads every answer once, grouped by cycle and organisation.

    python -m benchmarks.batch [--database-url URL] [--scale national]

Each measurement runs in its own process, so peak memory is its own, three
times: the median time is printed (with the highest peak), so one noisy run
does not decide the ratio. Targets (issue 5): full recompute ≤ 5 × floor;
no-change run ≤ 5 s; peak ≤ 500 MB.

Then the steps of a full recompute one after another on one connection (each
aggregate query, the fingerprints), beside the floor: on a shared machine the
ratio above moves with the load, these show where the time goes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 3  # per measurement; the median is reported

FLOOR_SQL = (
    "SELECT s.cycle_id, s.organisation_id, COUNT(*), SUM(a.score) "
    "FROM answer a JOIN assessment s ON s.id = a.assessment_id GROUP BY 1, 2"
)


def _measure(url: str, what: str) -> dict:
    """One measurement in this process."""
    from domain import computation
    from models import IndicatorStamp, ScopeResult, db, init_database

    database = init_database(url)
    with database.connection_context():
        if what == "floor":
            started = time.perf_counter()
            rows = len(db.execute_sql(FLOOR_SQL).fetchall())
            elapsed = time.perf_counter() - started
            return {"seconds": elapsed, "rows": rows, **_peak()}
        if what == "full":
            ScopeResult.delete().execute()
            IndicatorStamp.delete().execute()
        started = time.perf_counter()
        report = computation.recompute()
        elapsed = time.perf_counter() - started
        return {
            "seconds": elapsed,
            "written": report.rows_written,
            "recomputed": report.cycles_recomputed,
            **_peak(),
        }


def _steps(url: str) -> dict:
    """Each step of a full recompute alone, one after another: seconds per
    kind of aggregate query (summed over its pieces), the fingerprints and
    the floor."""
    from domain import computation
    from models import Cycle, IndicatorDefinition, init_database

    database = init_database(url)
    out: dict[str, float] = {}
    with database.connection_context():
        cycles = list(Cycle.select().where(Cycle.state != "gepland").order_by(Cycle.period))
        indicators = list(
            IndicatorDefinition.select()
            .where(IndicatorDefinition.active == True)  # noqa: E712
            .order_by(IndicatorDefinition.id)
        )
        plan = computation._Plan(indicators, cycles, cycles)
        computation._prepare(plan.setup())
        steps = [(name.split(":")[0], sql, args) for name, sql, args, _ in plan.queries()]
        for name, sql, args in [*steps, ("floor", FLOOR_SQL, [])]:
            started = time.perf_counter()
            computation._fetch(sql, args)
            out[name] = out.get(name, 0.0) + time.perf_counter() - started
        computation._prepare(plan.teardown())
        started = time.perf_counter()
        computation.fingerprints(cycles)
        out["fingerprints"] = time.perf_counter() - started
    return out


def _peak() -> dict:
    return {"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _once(url: str, what: str) -> dict:
    out = subprocess.run(  # noqa: S603 - our own module with our own arguments
        [sys.executable, "-m", "benchmarks.batch", "--measure", what, "--database-url", url],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _run(url: str, what: str) -> dict:
    """The median time of RUNS measurements (each in its own process), with
    the highest peak memory of them."""
    runs = sorted((_once(url, what) for _ in range(RUNS)), key=lambda run: run["seconds"])
    return {**runs[len(runs) // 2], "peak_mb": max(run["peak_mb"] for run in runs)}


def _prepare(url: str, scale: str) -> None:
    from domain import demo, framework, indicators
    from domain.reference import load_reference_data
    from models import db, init_database, is_postgres
    from models.migrate import upgrade

    database = init_database(url)
    with database.connection_context():
        upgrade(database)
        load_reference_data()
        framework.import_framework(framework.load_file(framework.DEFAULT_FRAMEWORK), publish=True)
        indicators.import_indicators(indicators.load_file(indicators.DEFAULT_INDICATORS))
        if not demo.has_demo_data():
            demo.generate(scale, 1, last_period="2026-Q4", today=dt.date(2026, 11, 23))
            if is_postgres():
                # What autovacuum does shortly after a bulk load (planner
                # statistics, visibility map); measuring before it has run
                # would measure its lag instead of the batch.
                db.execute_sql("VACUUM ANALYZE")


def _size(url: str) -> tuple[int, int]:
    from models import Answer, db, init_database

    database = init_database(url)
    with database.connection_context():
        answers = Answer.select().count()
        if url.startswith("sqlite"):
            size = Path(url.split("///", 1)[1]).stat().st_size
        else:
            size = db.execute_sql("SELECT pg_database_size(current_database())").fetchone()[0]
    return answers, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url")
    parser.add_argument("--scale", default="national")
    parser.add_argument("--measure", choices=["floor", "full", "nochange", "steps"])
    args = parser.parse_args()
    if args.measure == "steps":
        print(json.dumps(_steps(args.database_url)))
        return
    if args.measure:
        print(json.dumps(_measure(args.database_url, args.measure)))
        return
    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite:///{Path(scratch) / 'bench.db'}"
        _prepare(url, args.scale)
        answers, size = _size(url)
        floor = _run(url, "floor")
        full = _run(url, "full")
        nochange = _run(url, "nochange")
        steps = _once(url, "steps")
        backend = url.split(":", 1)[0]
        print(f"database       {backend}, {answers:,} answers, {size / 2**20:.0f} MB")
        print(
            f"floor          {floor['seconds']:.2f} s ({floor['rows']:,} groups; "
            f"median of {RUNS} runs, as below)"
        )
        print(
            f"full recompute {full['seconds']:.2f} s = {full['seconds'] / floor['seconds']:.1f}"
            f" × floor (target ≤ 5), {full['written']:,} results, "
            f"peak {full['peak_mb']:.0f} MB"
        )
        print(
            f"no-change run  {nochange['seconds']:.2f} s (target ≤ 5), "
            f"{nochange['recomputed']} cycles recomputed, peak {nochange['peak_mb']:.0f} MB"
        )
        print(
            "steps, alone  "
            + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in steps.items())
        )


if __name__ == "__main__":
    main()
