#!/bin/sh
# Runs every README example that needs no key, as written
# (tests/readme-examples.py says how each kind of block is run), and prints
# how many ran and how many were skipped because they need a key.
# usage: tests/readme-examples.sh PROMPTEVAL
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
exec python3 "$top/tests/readme-examples.py" "$1" "$top/README.md"
