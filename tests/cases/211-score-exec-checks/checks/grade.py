import json
import sys

case = json.load(sys.stdin)
need = int(sys.argv[sys.argv.index("--min-words") + 1])
print(min(1, len(case["output"].split()) / (2 * need)))
