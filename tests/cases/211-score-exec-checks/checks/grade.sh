#!/bin/sh
# Passes when the answer names the case's table; reads the case on stdin.
python3 -c '
import json, sys
case = json.load(sys.stdin)
table = case["vars"]["table"]
print(json.dumps({"pass": table in case["output"],
                  "reason": "%s: %s for %s" % (case["case"], table, case["model"])}))
'
