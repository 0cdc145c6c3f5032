#!/usr/bin/python3
"""Sums meson's test results over build directories: 'N passed, N failed, N skipped'.

Reads each DIR/meson-logs/testlog.json (one JSON object per test). A build
directory whose log is missing counts as one failure: it did not build or run.
Exit status 0 only when nothing failed.
"""
import json
import sys

PASSED = {"OK", "EXPECTEDFAIL"}
SKIPPED = {"SKIP"}


def count(build):
    passed = failed = skipped = 0
    try:
        with open(f"{build}/meson-logs/testlog.json", encoding="utf-8") as f:
            for line in f:
                result = json.loads(line)["result"]
                if result in PASSED:
                    passed += 1
                elif result in SKIPPED:
                    skipped += 1
                else:
                    failed += 1
    except (OSError, ValueError) as e:
        print(f"summary: {build}: {e}", file=sys.stderr)
        failed += 1
    return passed, failed, skipped


def main():
    totals = [0, 0, 0]
    for build in sys.argv[1:]:
        for i, n in enumerate(count(build)):
            totals[i] += n
    print(f"{totals[0]} passed, {totals[1]} failed, {totals[2]} skipped")
    return 1 if totals[1] else 0


if __name__ == "__main__":
    sys.exit(main())
