"""The wheel carries what an installed publisher needs outside the source tree."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_wheel_ships_templates_demo_and_migrations(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    "-w", str(tmp_path), str(ROOT)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("publisher-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in ("publisher/_templates/web/base.html", "publisher/demo/plan.toml",
                     "publisher/demo/articles/wire-astana-times.txt",
                     "publisher/store/migrations/env.py", "channels/base.py"):
        assert expected in names, expected
    assert any(n.startswith("publisher/store/migrations/versions/0001") for n in names)
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "publisher = publisher.cli:main" in zipfile.ZipFile(wheel).read(entry).decode()
