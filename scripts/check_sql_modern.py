#!/usr/bin/env python3
"""Runs every migration and query statement on the current ClickHouse engine.

The product's SQL must run on ClickHouse 18.16 (the Debian server the tests
start) and on current ClickHouse. The tests prove the first; this proves the
second with chDB, the in-process build of current ClickHouse, in a throwaway
session directory. Statements come as JSON lines on stdin (from
internal/tools/sqlstatements), in order: migrations first, then query files.

A query statement may use `?` placeholders; they are replaced by NULL-free
sample literals given in a `-- check-args: a, b, …` comment of its file, so
that the statement is parsed and analysed, not only tokenised.

After the migrations, a smoke test inserts two versions of one case into
case_events and checks the rollup view counts the case once.
Exit status: 0 when everything ran, 1 otherwise, with file:line for each failure.
"""
import json
import sys
import tempfile

try:
    import chdb
    from chdb import session
except ImportError:
    sys.exit("check-sql-modern: chdb is not installed (make check-sql-modern installs it into a venv)")


def main() -> int:
    stmts = [json.loads(line) for line in sys.stdin if line.strip()]
    if not stmts:
        print("check-sql-modern: no statements received", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="riskwatch-chdb-") as path:
        s = session.Session(path)
        version = str(s.query("SELECT version()")).strip().strip('"')
        print(f"check-sql-modern: ClickHouse {version} (chDB {chdb.__version__})")
        s.query("CREATE DATABASE IF NOT EXISTS riskwatch")
        s.query("USE riskwatch")
        failed = 0
        for st in stmts:
            try:
                s.query(st["sql"])
            except Exception as e:  # chDB raises ChdbError with the server message
                failed += 1
                msg = str(e).splitlines()[0][:300]
                print(f"FAIL {st['file']}:{st['line']}: {msg}", file=sys.stderr)
        smoke_failed = smoke(s) if failed == 0 else 1
        print(f"check-sql-modern: {len(stmts) - failed} of {len(stmts)} statements ran; "
              f"rollup smoke test {'failed' if smoke_failed else 'passed'}")
        return 1 if failed or smoke_failed else 0


def smoke(s) -> int:
    """Two versions of one case (and a re-delivered copy) written to cases reach
    case_events and the rollup through the views and count once."""
    cols = ("source, case_id, version, reported_at, reported_date, region_code, county_code, "
            "category, status, parties, amount_cny, _topic, _partition, _offset")
    rows = [
        "('platform', 'c1', 1, toDateTime('2026-03-02 09:00:00', 'Asia/Shanghai'), toDate('2026-03-02'), "
        "'150502001001', '150502000000', 'labor.wage_arrears', 'accepted', 36, 120000, 'disputes', 0, 10)",
        "('platform', 'c1', 2, toDateTime('2026-03-02 09:00:00', 'Asia/Shanghai'), toDate('2026-03-02'), "
        "'150502001001', '150502000000', 'labor.wage_arrears', 'resolved', 36, 120000, 'disputes', 0, 11)",
    ]
    try:
        for r in rows + rows[:1]:
            s.query(f"INSERT INTO cases ({cols}) VALUES {r}")
        out = str(s.query(
            "SELECT uniqExactMerge(cases), uniqExactIfMerge(resolved) FROM cases_daily "
            "WHERE day = toDate('2026-03-02')", "CSV")).strip()
        if out != "1,1":
            print(f"FAIL smoke: cases_daily gave {out!r}, want 1,1", file=sys.stderr)
            return 1
        out = str(s.query("SELECT status FROM case_events FINAL WHERE case_id = 'c1' ORDER BY version", "CSV")).strip()
        if out.replace('"', "").split() != ["accepted", "resolved"]:
            print(f"FAIL smoke: case_events FINAL gave {out!r}", file=sys.stderr)
            return 1
        out = str(s.query("SELECT version, status FROM cases FINAL WHERE case_id = 'c1'", "CSV")).strip()
        if out.replace('"', "") != "2,resolved":
            print(f"FAIL smoke: cases FINAL gave {out!r}, want 2,resolved", file=sys.stderr)
            return 1
    except Exception as e:
        print(f"FAIL smoke: {str(e).splitlines()[0][:300]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
