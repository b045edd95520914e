#!/usr/bin/env bash
# Start the machine's PostgreSQL and make an empty test database; print the
# URL the PostgreSQL tests use (PUBLISHER_TEST_PG_URL). Safe to run twice.
set -euo pipefail
if ! command -v pg_lsclusters >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
read -r version cluster port _ < <(pg_lsclusters --no-header | head -n 1)
pg_ctlcluster "$version" "$cluster" start >/dev/null 2>&1 || true
as_pg() { su postgres -c "$1" >/dev/null; }
as_pg "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname='publisher'\" | grep -q 1 \
  || psql -c \"CREATE ROLE publisher LOGIN PASSWORD 'publisher' CREATEDB\""
as_pg "dropdb --if-exists publisher_test 2>/dev/null"
as_pg "createdb -O publisher publisher_test"
echo "postgresql+psycopg://publisher:publisher@127.0.0.1:${port}/publisher_test"
