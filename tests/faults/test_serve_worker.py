"""``publisher serve --worker``: one process serves the pages and sends the Issue."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

import pytest
import requests

from tests.faults.conftest import Newsroom, _free_port, wait_for

pytestmark = pytest.mark.slow


def test_serve_with_the_worker_in_process(newsroom_factory: Callable[..., Newsroom]) -> None:
    room = newsroom_factory()
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PUBLISHER_")}
    proc = subprocess.Popen([sys.executable, "-m", "publisher", "--config", str(room.config),
                             "serve", "--worker", "--port", str(port)], cwd=room.root, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    room.procs.append(proc)

    def page_up() -> bool:
        try:
            return requests.get(f"http://127.0.0.1:{port}/subscribe", timeout=2).ok
        except requests.ConnectionError:
            return False

    wait_for(page_up, timeout=30)
    assert room.cli("schedule", "1", "--channel", "email") == 0
    wait_for(lambda: room.sink.count() == 7, timeout=60)
    assert set(room.sink.copies().values()) == {1}
