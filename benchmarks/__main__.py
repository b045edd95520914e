"""Run every benchmark (``make bench``), or those named: ``python -m benchmarks import``."""

from __future__ import annotations

import sys

from benchmarks import audience, email, import_articles, pdf, scheduler, social

SUITES = {
    "import": import_articles.main,
    "audience": audience.main,
    "pdf": pdf.main,
    "email": email.main,
    "social": social.main,
    "scheduler": scheduler.main,
}


def main(argv: list[str]) -> int:
    chosen = argv or list(SUITES)
    for name in chosen:
        if name not in SUITES:
            print(f"unknown benchmark '{name}'; choose from {', '.join(SUITES)}")
            return 2
        SUITES[name]()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
