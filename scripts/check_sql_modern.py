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
cases and checks what the views copy into case_events and case_updates.
With --replay DIR (written by internal/tools/sqlreplay), it then loads the
tables of a populated ClickHouse 18.16 database into a second chDB session
over the same migrations, replays the SELECTs the tests sent (the text the
18.16 server received, arguments bound) and compares the result with
18.16's: as a multiset when the statement has no outer ORDER BY, floats to
1e-9 relative. Each error or difference is printed with the Go call site.

What is replayed is what sqlreplay kept (its selection.json). By default
(make check-sql-modern, SQL_REPLAY_VARIANTS=0) that is every distinct
statement. With -variants K it is every statement shape (the text once
literal values are taken out) the tests sent, but of the statements of
one shape, which differ only in bound or written-in values, up to K spread
over the recording; the others are not replayed, on either engine, and
the output line says how many were kept of how many.

Exit status: 0 when everything ran, 1 otherwise, with file:line for each failure.
"""
import json
import os
import re
import sys
import tempfile
import time

try:
    import chdb
    from chdb import session
except ImportError:
    sys.exit("check-sql-modern: chdb is not installed (make check-sql-modern installs it into a venv)")


def main() -> int:
    replay_dir = None
    if len(sys.argv) == 3 and sys.argv[1] == "--replay":
        replay_dir = sys.argv[2]
    elif len(sys.argv) != 1:
        sys.exit("usage: check_sql_modern.py [--replay DIR] < statements.jsonl")
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
              f"views smoke test {'failed' if smoke_failed else 'passed'}")
        if failed or smoke_failed:
            return 1
        if replay_dir:
            # chDB allows one session directory per process: the replay
            # runs in the same session, in database default.
            return replay(s, replay_dir, [st for st in stmts if st["kind"] == "migration"])
    return 0


def smoke(s) -> int:
    """Two versions of one case (and a re-delivered copy) written to cases reach
    case_events (where the copy collapses) and case_updates (every delivery)
    through the views."""
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
            "SELECT count(), uniqExact(version), max(version) FROM case_updates WHERE case_id = 'c1'", "CSV")).strip()
        if out != "3,2,2":
            print(f"FAIL smoke: case_updates gave {out!r}, want 3,2,2", file=sys.stderr)
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


NUM = re.compile(r"-?(?:\d+\.?\d*(?:e[+-]?\d+)?|inf|nan)", re.I)


# ClickHouse 18.16 prints the zero DateTime and Date (what max() of no rows
# gives) as 0000-00-00 …; current releases print the same stored value, the
# Unix epoch, in the column's time zone (1970-01-01 08:00:00 in Shanghai).
ZERO_TIME = re.compile(r"^0000-00-00( 00:00:00)?$")
EPOCH = re.compile(r"^(1970-01-01|1969-12-31)( \d\d:\d\d:00)?$")

# Statements whose answer is the server itself, not the data.
SERVER_SPECIFIC = re.compile(r"^\s*SELECT\s+version\(\)\s*$", re.I)


def cell_equal(a: str, b: str) -> bool:
    """Equal text, or equal apart from numbers that agree to 1e-9 relative."""
    if a == b:
        return True
    if ZERO_TIME.match(a) and EPOCH.match(b) and (" " in a) == (" " in b):
        return True
    if NUM.sub("#", a) != NUM.sub("#", b):
        return False
    for x, y in zip(NUM.findall(a), NUM.findall(b)):
        try:
            fx, fy = float(x), float(y)
        except ValueError:
            return False
        if fx == fy or (fx != fx and fy != fy):
            continue
        if abs(fx - fy) > 1e-9 * max(abs(fx), abs(fy)):
            return False
    return True


def rows_of(tsv: str):
    return [line.split("\t") for line in tsv.split("\n") if line != ""]


def rows_equal(a, b) -> bool:
    return len(a) == len(b) and all(len(x) == len(y) and all(cell_equal(p, q) for p, q in zip(x, y)) for x, y in zip(a, b))


def results_equal(old: str, new: str, ordered: bool) -> bool:
    a, b = rows_of(old), rows_of(new)
    if ordered:
        return rows_equal(a, b)
    return rows_equal(sorted(a), sorted(b))


def replay(s, path: str, migrations) -> int:
    """Loads the exported 18.16 tables into chDB and replays the SELECTs."""
    stmts = [json.loads(line) for line in open(os.path.join(path, "statements.jsonl"), encoding="utf-8") if line.strip()]
    tables = [json.loads(line) for line in open(os.path.join(path, "tables.jsonl"), encoding="utf-8") if line.strip()]
    sel_path = os.path.join(path, "selection.json")
    selection = json.load(open(sel_path, encoding="utf-8")) if os.path.exists(sel_path) else None
    started = time.monotonic()
    if True:
        s.query("USE default")  # sqlreplay's database: the statements name tables unqualified
        for m in migrations:
            s.query(m["sql"])
        existing = set(str(s.query("SELECT name FROM system.tables WHERE database = 'default'", "TSV")).split())
        load_failed = 0
        for t in tables:
            try:
                if t["name"] not in existing:
                    s.query(t["ddl"])
                if t["rows"]:
                    data = os.path.abspath(os.path.join(path, "data", t["name"] + ".tsv"))
                    cols = ", ".join(t["columns"])
                    s.query(f"INSERT INTO default.`{t['name']}` ({cols}) "
                            f"SELECT * FROM file('{data}', 'TSV', '{t['structure'].replace(chr(39), chr(92) + chr(39))}') "
                            # Keep every row as exported, as 18.16 holds it: current
                            # releases would collapse a ReplacingMergeTree's versions
                            # at insert, and reads without FINAL would differ.
                            "SETTINGS optimize_on_insert = 0")
            except Exception as e:
                load_failed += 1
                print(f"FAIL load {t['name']}: {str(e).splitlines()[0][:300]}", file=sys.stderr)
        rows = sum(t["rows"] for t in tables)
        print(f"check-sql-modern replay: loaded {len(tables) - load_failed} of {len(tables)} tables ({rows} rows) "
              f"from ClickHouse 18.16 in {time.monotonic() - started:.1f} s")
        started = time.monotonic()
        equal = errors = differ = skipped = 0
        writes = [st for st in stmts if st.get("target")]
        stmts = [st for st in stmts if not st.get("target")]
        for st in stmts:
            if SERVER_SPECIFIC.match(st["sql"]):
                skipped += 1
                continue
            try:
                got = str(s.query(st["sql"], "TSV"))
            except Exception as e:
                errors += 1
                print(f"FAIL error at {st['caller']}: {str(e).splitlines()[0][:300]}\n    {st['sql'][:400]}", file=sys.stderr)
                continue
            if results_equal(st["result"], got, st["ordered"]):
                equal += 1
                continue
            differ += 1
            a, b = rows_of(st["result"]), rows_of(got)
            print(f"FAIL differs at {st['caller']} ({len(a)} rows on 18.16, {len(b)} on current; "
                  f"{'ordered' if st['ordered'] else 'multiset'})\n    {st['sql'][:400]}\n"
                  f"    18.16:   {a[:3]}\n    current: {b[:3]}", file=sys.stderr)
        # INSERT … SELECT, in the order 18.16 ran them; then each target
        # table is compared with 18.16's after the same writes.
        # Only the last write to a table carries the table as 18.16 held it
        # after every write ("final").
        finals = {st["target"]: st for st in writes if st.get("final")}
        targets = {}
        for st in writes:
            try:
                s.query(st["sql"])
            except Exception as e:
                errors += 1
                print(f"FAIL error at {st['caller']}: {str(e).splitlines()[0][:300]}\n    {st['sql'][:400]}", file=sys.stderr)
                continue
            targets[st["target"]] = finals.get(st["target"], st)
        for t, st in targets.items():
            got = str(s.query(f"SELECT * FROM {t}", "TSV"))
            if results_equal(st["result"], got, False):
                equal += 1
                continue
            differ += 1
            a, b = rows_of(st["result"]), rows_of(got)
            print(f"FAIL table {t} differs after the writes (last at {st['caller']}; {len(a)} rows on 18.16, "
                  f"{len(b)} on current)\n    18.16:   {a[:3]}\n    current: {b[:3]}", file=sys.stderr)
        stmts += writes
        kept = ""
        if selection and selection["kept"] < selection["recorded"]:
            kept = (f" of {selection['recorded']} distinct statements the tests sent: every one of their "
                    f"{selection['shapes']} shapes, up to {selection['variants']} value variants each")
        print(f"check-sql-modern replay: {len(stmts) - skipped} statements replayed{kept} "
              f"({len(writes)} INSERT … SELECT into {len(targets)} tables, compared as whole tables), {equal} equal, "
              f"{differ} differ, {errors} fail on current ClickHouse "
              f"({skipped} asking for the server version not compared), in {time.monotonic() - started:.1f} s")
        return 1 if load_failed or differ or errors else 0


if __name__ == "__main__":
    sys.exit(main())
