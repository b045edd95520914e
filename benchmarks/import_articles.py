"""Import throughput: 10,000 Markdown articles, articles per second and peak memory.

Each phase runs in its own Python process so its peak RSS is its own:

- baseline: read each file and tokenise it with markdown-it-py, nothing else
  (the floor any Markdown importer pays);
- publisher: the whole ``publisher import`` path: read, parse front matter and
  body into the content model, and store every article in one SQLite
  transaction.

The figure that matters is the ratio publisher / baseline, both measured here.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

N_ARTICLES = 10_000

_BASELINE = """
import json, resource, sys, time
from pathlib import Path
from markdown_it import MarkdownIt
md = MarkdownIt("commonmark")
files = sorted(Path(sys.argv[1]).glob("*.md"))
t0 = time.perf_counter()
for f in files:
    md.parse(f.read_text(encoding="utf-8"))
dt = time.perf_counter() - t0
print(json.dumps({"n": len(files), "seconds": dt,
                  "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""

_PUBLISHER = """
import json, resource, sys, time
from publisher.cli import main
t0 = time.perf_counter()
code = main(["--data-dir", sys.argv[2], "import", sys.argv[1]])
dt = time.perf_counter() - t0
assert code == 0, code
print(json.dumps({"seconds": dt,
                  "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def _article(i: int) -> str:
    return textwrap.dedent(f"""\
        ---
        id: bench-{i}
        headline: Benchmark article number {i} about trade and water
        section: {("World", "Business", "Culture", "Science")[i % 4]}
        authors: [Reporter {i % 17}]
        published_at: 2026-11-{1 + i % 28:02d}T10:00:00+05:00
        tags: [bench, t{i % 9}]
        ---

        The **first** paragraph of article {i} has a [link](https://example.org/{i})
        and some *emphasis*, as real copy does.

        ## A subhead

        A second paragraph with more words about grain, rail, ferries and the
        price of electricity in winter, number {i}.

        > A quotation from someone important.
        > — A. Person

        - one point
        - another point
        """)


def _run(script: str, *args: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", script, *args], check=True,
                         capture_output=True, text=True).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "articles"
        src.mkdir()
        for i in range(N_ARTICLES):
            (src / f"a{i:05d}.md").write_text(_article(i), encoding="utf-8")
        base = _run(_BASELINE, str(src))
        ours = _run(_PUBLISHER, str(src), str(Path(tmp) / "data"))
    base_rate = N_ARTICLES / base["seconds"]
    our_rate = N_ARTICLES / ours["seconds"]
    print(f"import {N_ARTICLES:,} Markdown articles")
    print(f"  baseline (read + markdown-it tokenise): {base_rate:8.0f} articles/s, "
          f"peak RSS {base['rss_kib'] / 1024:6.1f} MiB")
    print(f"  publisher import (parse + store):       {our_rate:8.0f} articles/s, "
          f"peak RSS {ours['rss_kib'] / 1024:6.1f} MiB")
    print(f"  ratio publisher/baseline: throughput {our_rate / base_rate:.2f}x, "
          f"peak memory {ours['rss_kib'] / base['rss_kib']:.2f}x")
