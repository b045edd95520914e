"""Subscribers: CSV import and audience streaming, 100,000 rows.

Each measurement runs in its own Python process so its peak RSS is its own.

- import: ``publisher subscribers import`` of a 100,000-row CSV (rows per
  second, peak RSS), against the baseline of the stdlib ``csv`` module merely
  reading the same file in the same run;
- audience: streaming the audience of an Issue to a no-op consumer, at
  10,000 and 100,000 subscribers (rows per second; peak RSS at 100,000 over
  peak RSS at 10,000 must stay within 1.2x: memory flat in the audience).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

SECTIONS = ("World", "Business", "Culture", "Science", "Education")

_CSV_BASELINE = """
import csv, json, resource, sys, time
from email_validator import validate_email
t0 = time.perf_counter()
with open(sys.argv[1], newline="", encoding="utf-8") as fh:
    rows = csv.reader(fh)
    next(rows)
    n = sum(1 for r in rows if validate_email(r[0], check_deliverability=False))
print(json.dumps({"rows": n, "seconds": time.perf_counter() - t0,
                  "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""

_IMPORT = """
import contextlib, io, json, resource, sys, time
from publisher.cli import main
t0 = time.perf_counter()
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    code = main(["--data-dir", sys.argv[2], "subscribers", "import", sys.argv[1]])
assert code == 0, code
print(json.dumps({"seconds": time.perf_counter() - t0,
                  "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""

_STREAM = """
import json, resource, sys, time
from publisher.store import Store
from publisher.store.db import sqlite_url
from pathlib import Path
store = Store(sqlite_url(Path(sys.argv[1]) / "publisher.db"))
t0 = time.perf_counter()
n = sum(1 for _ in store.audience.audience(store.engine, "newsletter", ["World", "Science"]))
print(json.dumps({"rows": n, "seconds": time.perf_counter() - t0,
                  "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def _write_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8") as fh:
        fh.write("email,name,sections,format\n")
        for i in range(rows):
            sections = "|".join(SECTIONS[j] for j in range(5) if (i >> j) & 1)
            fmt = ("html", "text", "pdf")[i % 3]
            fh.write(f"reader{i}@example.org,Reader {i},{sections},{fmt}\n")


def _run(script: str, *args: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", script, *args], check=True,
                         capture_output=True, text=True).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def _populate(tmp: Path, rows: int) -> tuple[Path, dict[str, float], dict[str, float]]:
    csv_path, data = tmp / f"subs{rows}.csv", tmp / f"data{rows}"
    _write_csv(csv_path, rows)
    base = _run(_CSV_BASELINE, str(csv_path))
    ours = _run(_IMPORT, str(csv_path), str(data))
    return data, base, ours


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        small, _, _ = _populate(tmp, 10_000)
        big, base, ours = _populate(tmp, 100_000)
        s_small, s_big = _run(_STREAM, str(small)), _run(_STREAM, str(big))
    print("subscribers: import 100,000 CSV rows")
    print(f"  baseline (csv + email-validator): {100_000 / base['seconds']:9.0f} rows/s")
    print(f"  publisher subscribers import:     {100_000 / ours['seconds']:9.0f} rows/s, "
          f"peak RSS {ours['rss_kib'] / 1024:.1f} MiB")
    print(f"  ratio import/baseline: {base['seconds'] / ours['seconds']:.2f}x")
    print("subscribers: stream the audience of an Issue (sections World or Science)")
    for label, s in (("10,000", s_small), ("100,000", s_big)):
        print(f"  {label:>7} subscribers: {int(s['rows']):6d} recipients, "
              f"{s['rows'] / s['seconds']:8.0f} rows/s, peak RSS {s['rss_kib'] / 1024:.1f} MiB")
    print(f"  peak RSS 100,000 / 10,000: {s_big['rss_kib'] / s_small['rss_kib']:.2f}x "
          "(target <= 1.2x)")
