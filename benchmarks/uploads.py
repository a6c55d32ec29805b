"""Hostile uploads benchmark: how long the import takes to refuse each hostile
file, and how much memory it takes meanwhile, beside a full-size legitimate
file (10,000 rows).

    python -m benchmarks.uploads

Each file is made by one process and read by another: `extra MB` is the
growth of the reading process's peak resident memory during the parse,
`traced MB` the peak of Python's own allocations (tracemalloc, a second
parse). Targets: a refusal in under a second and under 100 MB of extra
memory (issue 13); for the element bombs, at most 1 s and 50 MB (issue 26)."""

from __future__ import annotations

import contextlib
import io
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc

CASES = {
    "declared A1:XFD1048576 (1 cell in the last row)": "hostile.declared_huge('A1:XFD1048576')",
    "declared A1:Z1048576": "hostile.declared_huge('A1:Z1048576')",
    "lying dimension, cell at XFD1048576": "hostile.lying_dimension()",
    "unpacks to 40 MB (200 small members)": "hostile.unpacked_bomb(40)",
    "ratio bomb (8 MB sheet of spaces)": "hostile.ratio_bomb(8)",
    "10,005 real rows": "hostile.many_rows(10_005)",
    "element bomb: sheet, 7 million empty elements": "hostile.sheet_element_bomb(level=9)",
    "element bomb: workbook part": "hostile.workbook_element_bomb(level=9)",
    "element bomb: shared strings": "hostile.strings_element_bomb(level=9)",
    "element bomb: nesting, 4 million deep": "hostile.nesting_bomb(level=9)",
    "element bomb: styles part": "hostile.styles_element_bomb(level=9)",
    "element bomb: relationships part": "hostile.relationships_element_bomb(level=9)",
    "sheet, 1,990,000 empty elements (under 2,000,000)": "hostile._bomb_zip(hostile._base_members("
    "hostile._sheet_around(hostile.empty_elements(1_990_000))), 9)",
    "nesting 65 deep (under the element limit)": "hostile.xlsx(hostile.sheet_xml("
    "hostile.HEADER_ROW + hostile.nested_elements(65).decode()))",
    "text of 100,000 characters outside any cell": "hostile.long_text_run()",
    "attribute of 100,000 characters": "hostile.long_attribute()",
    "full-size legitimate file (10,000 rows x 5)": "full_size()",
}


def full_size() -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["naam", "soort", "regio", "gemeenten", "actief"])
    for i in range(10_000):
        ws.append([f"Organisatie {i}", "jgz", "VR24", "GM0935, GM0917", "ja"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _make(expression: str, path: str) -> None:
    from tests import hostile  # noqa: F401 - used by the expression

    with open(path, "wb") as fh:
        fh.write(eval(expression))  # noqa: S307 - the fixed expressions above


def _measure(path: str) -> dict:
    from domain import imports

    with open(path, "rb") as fh:
        data = fh.read()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    try:
        rows = imports.read_table("upload.xlsx", data, "organisations")
        outcome = f"read {len(rows)} rows"
    except imports.ImportFileError as exc:
        outcome = str(exc)
    seconds = time.perf_counter() - started
    extra = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    tracemalloc.start()
    with contextlib.suppress(imports.ImportFileError):
        imports.read_table("upload.xlsx", data, "organisations")
    traced = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return {
        "bytes": len(data),
        "seconds": seconds,
        "extra_mb": extra,
        "traced_mb": traced,
        "outcome": outcome,
    }


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--make":
        _make(sys.argv[2], sys.argv[3])
        return
    if len(sys.argv) > 2 and sys.argv[1] == "--one":
        print(json.dumps(_measure(sys.argv[2])))
        return
    print(f"{'case':<48} {'file':>9} {'seconds':>8} {'extra MB':>9} {'traced MB':>10}  outcome")
    for label, expression in CASES.items():
        with tempfile.NamedTemporaryFile(suffix=".xlsx") as file:
            me = [sys.executable, "-m", "benchmarks.uploads"]
            subprocess.run([*me, "--make", expression, file.name], check=True)  # noqa: S603
            result = json.loads(
                subprocess.run(  # noqa: S603 - this interpreter, this module
                    [*me, "--one", file.name], check=True, capture_output=True, text=True
                ).stdout
            )
        print(
            f"{label:<48} {result['bytes']:>9} {result['seconds']:>8.3f} "
            f"{result['extra_mb']:>9.1f} {result['traced_mb']:>10.1f}  {result['outcome']}"
        )


if __name__ == "__main__":
    main()
