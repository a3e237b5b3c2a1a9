#!/usr/bin/python3
"""latency_fixture.py IN.json OUT.json BASE GROUP=MS,MS,... ...: an
sp-latency-table{json=} table with its times replaced (base_ms = BASE; listed
groups get the given ms per ratio, every other group BASE at every ratio), so
that sp-prune{cost=latency}'s choices are known in advance."""
import json
import sys

table = json.load(open(sys.argv[1]))
base = float(sys.argv[3])
table["base_ms"] = base
given = {int(k): [float(v) for v in ms.split(",")]
         for k, ms in (a.split("=") for a in sys.argv[4:])}
for g in table["groups"]:
    g["ms"] = given.get(g["id"], [base] * len(table["ratios"]))
json.dump(table, open(sys.argv[2], "w"))
