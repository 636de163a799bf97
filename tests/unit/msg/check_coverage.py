#!/usr/bin/env python3
"""Keeps tests/operation-coverage.json, and so the Tests table of
docs/operations.md, true: every operation of the catalogue has at least one
test; every test named exists in this build's ctest list; and each source
named runs the operation (its name appears in that file as a word).

Usage: check_coverage.py SOURCE_DIR BINARY_DIR
"""
import json
import os
import re
import subprocess
import sys


def main():
    src, binary = sys.argv[1], sys.argv[2]
    with open(os.path.join(src, "schemas", "operations.json")) as f:
        catalogue = json.load(f)
    with open(os.path.join(src, "tests", "operation-coverage.json")) as f:
        coverage = json.load(f)
    listed = subprocess.run(["ctest", "--test-dir", binary, "-N"], capture_output=True,
                            text=True, check=True).stdout
    tests = set(re.findall(r"Test +#\d+: (\S+)", listed))
    ops = [op["name"] for kind in catalogue["kinds"] for op in kind["operations"]]
    failures = []

    for name in ops:
        entries = coverage.get(name, [])
        if not entries:
            failures.append(f"{name}: no test covers it")
        for entry in entries:
            path = os.path.join(src, entry["source"])
            try:
                with open(path) as f:
                    text = f.read()
            except OSError as e:
                failures.append(f"{name}: {entry['source']}: {e.strerror}")
                continue
            if not re.search(r"\b" + re.escape(name) + r"\b", text):
                failures.append(f"{name}: {entry['source']} does not run it")
            for test in entry["tests"]:
                if test not in tests:
                    failures.append(f"{name}: no ctest test named {test}")
    for name in coverage:
        if name not in ops:
            failures.append(f"{name}: not an operation of the catalogue")

    for line in failures:
        print(line)
    checks = len(ops) + sum(len(e["tests"]) + 1 for v in coverage.values() for e in v)
    print(f"{checks - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
