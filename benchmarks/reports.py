"""The reports benchmark on national demo data (SQLite): time and peak memory
of the national region comparison workbook, all per-gemeente workbooks and
all organisation PDFs of one cycle, beside the floor — openpyxl writing the
same cells in write-only mode, without styling.

    python -m benchmarks.reports [--scale national] [--period 2026-Q3]

Each measurement runs in its own process, so peak memory is its own. The
report data (one cycle's figures) is read before the clock starts and timed
separately. Targets (issue 6): national workbook ≤ 1.5 × floor; ≤ 150 ms per
organisation PDF; peak ≤ 500 MB. The nightly part (issue 15) times what the
night does for one cycle at national scale: a full recompute plus every report
of the cycle, rendered by REPORT_PROCESSES worker processes (default one per
core); target ≤ 120 s, peak ≤ 500 MB per process."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.batch import _once, _peak


def _load(url: str, period: str):
    from models import Cycle, init_database
    from reports.data import CycleData

    init_database(url).connect()
    started = time.perf_counter()
    data = CycleData.load(Cycle.get(Cycle.period == period))
    return data, time.perf_counter() - started


def _cells(path: Path) -> dict[str, list[tuple]]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    try:
        return {ws.title: [tuple(row) for row in ws.iter_rows(values_only=True)] for ws in wb}
    finally:
        wb.close()


def _nightly(url: str, period: str, out: Path) -> dict:
    """A full recompute and every report of the cycle, as the night runs them."""
    import resource

    from domain import computation
    from models import Cycle, IndicatorStamp, ScopeResult, init_database
    from reports.build import report_processes, write_cycle_reports

    with init_database(url).connection_context():
        ScopeResult.delete().execute()
        IndicatorStamp.delete().execute()
        started = time.perf_counter()
        computation.recompute()
        recomputed = time.perf_counter() - started
        processes = report_processes()
        written = write_cycle_reports(Cycle.get(Cycle.period == period), out, processes=processes)
        seconds = time.perf_counter() - started
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "seconds": seconds,
        "recompute_seconds": recomputed,
        "count": sum(written.files.values()),
        "processes": processes,
        "child_peak_mb": children,
        **_peak(),
    }


def _measure(url: str, period: str, what: str, out: Path) -> dict:
    if what == "nightly":
        return _nightly(url, period, out)
    from reports.data import scope_report
    from reports.excel import gemeente_workbook, region_workbook
    from reports.pdf import write_pdf

    data, load_seconds = _load(url, period)
    result = {"load_seconds": load_seconds}
    if what == "workbook":
        started = time.perf_counter()
        region_workbook(data, out / "regio.xlsx")
        result["seconds"] = time.perf_counter() - started
        result["size"] = (out / "regio.xlsx").stat().st_size
    elif what == "floor":
        from openpyxl import Workbook

        region_workbook(data, out / "regio.xlsx")
        sheets = _cells(out / "regio.xlsx")
        result["cells"] = sum(len(row) for rows in sheets.values() for row in rows)
        started = time.perf_counter()
        wb = Workbook(write_only=True)
        for title, rows in sheets.items():
            ws = wb.create_sheet(title)
            for row in rows:
                ws.append(row)
        wb.save(out / "floor.xlsx")
        result["seconds"] = time.perf_counter() - started
    elif what == "gemeenten":
        ids = [g for g in data.gemeenten if g in data.served_by]
        started = time.perf_counter()
        for gemeente_id in ids:
            gemeente_workbook(data, gemeente_id, out / f"g{gemeente_id}.xlsx")
        result["seconds"] = time.perf_counter() - started
        result["count"] = len(ids)
    elif what == "pdfs":
        ids = [o for o in data.organisations if o in data.responses]
        started = time.perf_counter()
        for org_id in ids:
            write_pdf(scope_report(data, "organisatie", org_id), out / f"o{org_id}.pdf")
        result["seconds"] = time.perf_counter() - started
        result["count"] = len(ids)
    return {**result, **_peak()}


def _run(url: str, period: str, what: str) -> dict:
    with tempfile.TemporaryDirectory() as out:
        done = subprocess.run(  # noqa: S603 - our own module with our own arguments
            [sys.executable, "-m", "benchmarks.reports", "--measure", what,
             "--database-url", url, "--period", period, "--out", out],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url")
    parser.add_argument("--scale", default="national")
    parser.add_argument("--period", default="2026-Q3")
    parser.add_argument("--measure", choices=["workbook", "floor", "gemeenten", "pdfs", "nightly"])
    parser.add_argument("--out")
    parser.add_argument(
        "--parts", default="workbook,gemeenten,pdfs,nightly", help="what to measure"
    )
    args = parser.parse_args()
    if args.measure:
        result = _measure(args.database_url, args.period, args.measure, Path(args.out))
        print(json.dumps(result))
        return
    parts = set(args.parts.split(","))
    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite:///{Path(scratch) / 'bench.db'}"
        print(f"preparing {args.scale} demo data and its results …", flush=True)
        # Both in processes of their own: a process started from this one
        # would otherwise report this one's peak memory (Linux keeps the
        # peak across exec) as its own.
        _once(url, "prepare", "--scale", args.scale)
        _once(url, "full")
        if "workbook" in parts:
            floor = _run(url, args.period, "floor")
            workbook = _run(url, args.period, "workbook")
            print(
                f"cycle          {args.period}, "
                f"report data read in {workbook['load_seconds']:.2f} s"
            )
            print(f"floor          {floor['seconds']:.2f} s ({floor['cells']:,} cells, write-only)")
            print(
                f"national xlsx  {workbook['seconds']:.2f} s = "
                f"{workbook['seconds'] / floor['seconds']:.2f} × floor (target ≤ 1.5), "
                f"{workbook['size'] / 2**20:.1f} MB, peak {workbook['peak_mb']:.0f} MB"
            )
        if "gemeenten" in parts:
            gemeenten = _run(url, args.period, "gemeenten")
            print(
                f"gemeente xlsx  {gemeenten['count']} in {gemeenten['seconds']:.1f} s "
                f"({1000 * gemeenten['seconds'] / max(1, gemeenten['count']):.0f} ms each), "
                f"peak {gemeenten['peak_mb']:.0f} MB"
            )
        if "pdfs" in parts:
            pdfs = _run(url, args.period, "pdfs")
            print(
                f"organisation   {pdfs['count']} PDFs in {pdfs['seconds']:.1f} s "
                f"({1000 * pdfs['seconds'] / max(1, pdfs['count']):.0f} ms each, target ≤ 150), "
                f"peak {pdfs['peak_mb']:.0f} MB (target ≤ 500)"
            )
        if "nightly" in parts:
            night = _run(url, args.period, "nightly")
            print(
                f"nightly        full recompute + {night['count']:,} reports of {args.period} in "
                f"{night['seconds']:.1f} s (recompute {night['recompute_seconds']:.1f} s; "
                f"{night['processes']} processes; target ≤ 120 s), peak "
                f"{night['peak_mb']:.0f} MB main, {night['child_peak_mb']:.0f} MB largest worker"
                " (target ≤ 500 each)"
            )


if __name__ == "__main__":
    main()
