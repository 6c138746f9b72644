#!/usr/bin/env python3
"""Recounts the expected numbers of TestNYCFiles (nyc_test.go) without the Go code.

Usage: python3 nyc_recount.py [SHARED_DATA_DIR]   (default ../../../../shared/data)

It reads the real NYC files and ../../mappings/nyc_regions.csv and applies the rules of
sources/mappings/nyc_council.yaml and sources/mappings/nyc311.yaml as SOURCES.md states them: region from the
ZIP (zero-padded to 5), else the board "NN Borough", else the borough, else (council only, and
only when those three are empty) the borough of the office's council district; the first
accepted row wins a case id; a 311 close before its creation is rejected. It prints, per file,
rows, records (open_close: 2 per case that moved beyond accepted), rejects by reason, the
column that gave the region, and the version-1 noise cases.
"""
import collections
import csv
import datetime
import os
import re
import sys

here = os.path.dirname(os.path.abspath(__file__))
data = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, '..', '..', '..', '..', 'shared', 'data')
comp = os.path.join(data, 'complaints')
regions = {r['code'] for r in csv.DictReader(open(os.path.join(here, '..', '..', 'mappings', 'nyc_regions.csv')))}

# Borough codes of the boundary files (NYC-B1 … NYC-B5); a community district is NYC-CD<borough><nn>.
BOROUGHS = {'MANHATTAN': '1', 'BRONX': '2', 'BROOKLYN': '3', 'QUEENS': '4', 'STATEN ISLAND': '5'}
BOARD = re.compile(r'^0*([0-9]{1,2}) +(MANHATTAN|BRONX|BROOKLYN|QUEENS|STATEN ISLAND)$')


def zip_code(v):
    if re.fullmatch(r'\d{5}-\d{4}', v):
        v = v[:5]
    return 'NYC-ZIP-' + v.zfill(5) if re.fullmatch(r'\d{1,5}', v) else None


def board(v):
    m = BOARD.match(v.upper())
    return 'NYC-CD%s%02d' % (BOROUGHS[m.group(2)], int(m.group(1))) if m else None


def borough(v):
    return 'NYC-B' + BOROUGHS[v.upper()] if v.upper() in BOROUGHS else None


def office(v):
    m = re.fullmatch(r'NYCC(\d\d)', v.upper())
    if not m:
        return None
    n = int(m.group(1))
    if n == 8:
        return 'NYC'
    for last, code in ((10, 'NYC-B1'), (18, 'NYC-B2'), (32, 'NYC-B4'), (48, 'NYC-B3'), (51, 'NYC-B5')):
        if 1 <= n <= last:
            return code
    return None


def region(row, candidates, fallback):
    for col, fn in candidates:
        v = row[col].strip()
        if v:
            code = fn(v)
            if code in regions:
                return code, col
    if fallback and all(not row[c].strip() for c, _ in candidates):
        code = fallback[1](row[fallback[0]].strip())
        if code in regions:
            return code, fallback[0]
    return None, None


def council(path):
    rows = list(csv.DictReader(open(path, newline='')))
    seen, rej, via = set(), collections.Counter(), collections.Counter()
    records = noise = 0
    for r in rows:
        code, col = region(r, [('ZIP', zip_code), ('COMMUNITY_BOARD', board), ('BOROUGH', borough)], ('ACCOUNT', office))
        if not code:
            rej['no_region'] += 1
            continue
        key = r['UNIQUE_KEY'].strip()
        if key in seen:
            rej['duplicate_case_id(UNIQUE_KEY)'] += 1
            continue
        seen.add(key)
        via[col] += 1
        records += 2 if r['CLOSEDATE'].strip() else 1
        d = r['DESCRIPTOR'].lower()
        noise += 'noise' in d or 'horn honking' in d
    return len(rows), records, rej, via, noise


def nyc311(path):
    rows = list(csv.DictReader(open(path, newline='')))
    t = lambda s: datetime.datetime.strptime(s, '%m/%d/%Y %I:%M:%S %p')
    status = {'Closed': 'closed', 'Open': 'accepted', 'Assigned': 'routed', 'Started': 'handling',
              'In Progress': 'handling', 'Pending': 'handling'}
    rej, via = collections.Counter(), collections.Counter()
    records = noise = 0
    for r in rows:
        code, col = region(r, [('Incident Zip', zip_code), ('Community Board', board), ('Borough', borough)], None)
        if not code:
            rej['no_region'] += 1
            continue
        if r['Closed Date'] and t(r['Closed Date']) < t(r['Created Date']):
            rej['time_order(Closed Date)'] += 1
            continue
        via[col] += 1
        records += 1 if status[r['Status']] == 'accepted' else 2
        noise += r['Complaint Type'].lower().startswith('noise')
    return len(rows), records, rej, via, noise


for year in (2019, 2020, 2021, 2022):
    p = os.path.join(comp, 'nyc_council_constituent_services', 'nyc_council_constituent_services_%d.csv' % year)
    print('council', year, *council(p))
print('311 2024-09-01', *nyc311(os.path.join(comp, 'nyc311_2024-09-01', 'nyc311_service_requests_2024-09-01.csv')))
