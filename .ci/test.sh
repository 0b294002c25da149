#!/usr/bin/env bash
# Installs everything the tests need, then runs them all: lint, format and type checks, then the
# test suite against SQLite and PostgreSQL (browser, fuzzer and fault tests included).
# Usage: bash .ci/test.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."

# Python packages pinned by the lock file (uv pip compile pyproject.toml --extra test)
if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
.venv/bin/pip install -q --disable-pip-version-check -r requirements-test.lock
.venv/bin/pip install -q --disable-pip-version-check --no-deps -e .

# Debian's Chromium for the Playwright browser tests (Playwright's own browser download cannot work here)
if ! command -v chromium >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o Acquire::Retries=3 update -qq && apt-get -o Acquire::Retries=3 install -y -qq chromium >/dev/null
fi

# The PostgreSQL tests need a server; a missing one is a failure, never a skip. A local
# cluster that is installed but stopped is started (the machine's documented command).
export TOONIFY_TEST_POSTGRES="${TOONIFY_TEST_POSTGRES:-postgresql://postgres@127.0.0.1:5432/postgres}"
if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then
    if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
        pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
    fi
fi

echo "== ruff check, ruff format --check, mypy"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy

echo "== pytest"
exec .venv/bin/python -m pytest -p no:cacheprovider "$@"
