#!/usr/bin/env bash
# Every report on 1,000,000 books (or the count given), natively through the real handler,
# uncached and cached. Prints a table; add --explain for the query plans.
#   bench/reports/run.sh [BOOKS] [--explain]
set -euo pipefail
cd "$(dirname "$0")/../.."
exec cargo run --release -p folio-reports --example bench_reports -- "$@"
