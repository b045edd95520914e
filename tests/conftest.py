"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import sqlalchemy as sa


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL database emptied for this test.

    CI starts PostgreSQL and sets PUBLISHER_TEST_PG_URL (.ci/postgres.sh);
    without it the PostgreSQL tests are skipped, saying why.
    """
    url = os.environ.get("PUBLISHER_TEST_PG_URL")
    if not url:
        pytest.skip("PUBLISHER_TEST_PG_URL is not set (run: export "
                    "PUBLISHER_TEST_PG_URL=$(bash .ci/postgres.sh))")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    yield url
