#!/usr/bin/env python3
"""Arrival and departure states of the visits found, against a rendered season's truth.

usage: python3 scripts/visit_states.py [-v] SEASON OUT [SEASON OUT ...]   (-v: each wrong one)

SEASON holds truth.json (`berthwatch simulate`), OUT the visits.csv of `berthwatch run`.
A visit found is matched to the truth visit at its berth whose stay overlaps its first to
last sighting (skipped when none or several do). Prints how many visits have a known arrival
and departure state and how many of those are right. Stdlib only.
"""
import csv
import json
import sys
from datetime import datetime


def when(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def main(args):
    verbose = bool(args) and args[0] == "-v"
    args = args[1:] if verbose else args
    if len(args) < 2 or len(args) % 2:
        sys.exit(__doc__)
    visits = matched = 0
    known = {"arrival_state": 0, "departure_state": 0}
    right = {"arrival_state": 0, "departure_state": 0}
    for season, out in zip(args[::2], args[1::2]):
        truth = json.load(open(f"{season}/truth.json"))["visits"]
        for row in csv.DictReader(open(f"{out}/visits.csv")):
            visits += 1
            first, last = when(row["first_seen"]), when(row["last_seen"])
            cands = [v for v in truth if v["berth"] == row["berth"] and when(v["arrive"]) <= last
                     and when(v["depart"]) >= first]
            if len(cands) != 1:
                continue
            matched += 1
            for key in known:
                if row[key] == "unknown":
                    continue
                known[key] += 1
                ok = row[key] == cands[0][key]
                right[key] += ok
                if verbose and not ok:
                    print(f"{season} visit {row['visit_id']} {row['berth']} {row['first_seen']}: "
                          f"{key} {row[key]}, truth {cands[0][key]}")
    print(f"{visits} visits found, {matched} matched to one truth visit")
    for key in known:
        print(f"  {key}: known {known[key]}, right {right[key]}")


if __name__ == "__main__":
    main(sys.argv[1:])
