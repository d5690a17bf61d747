"""Prints what `ansible-test units` ran, one line per test context, from its JUnit results.

Usage: units_report.py JUNIT_DIR
ansible-test runs tests/unit in up to three contexts (modules, module_utils, controller), each its own pytest run.
Exits 1 when a test failed or errored, when a test was skipped (on a checkout every unit test can run; only an
installed copy, as the matrix tests it, skips the checks that need galaxy.yml or the cached awx.awx), or when no
context reported a test (a units run that runs nothing fails).
"""

import glob
import os
import re
import sys
import xml.etree.ElementTree as ET

COUNTS = ("tests", "failures", "errors", "skipped")


def read_contexts(junit_dir):
    """{"python3.11 controller": {"tests": N, ...}} from python<X.Y>-<context>-units.xml."""
    contexts = {}
    for path in sorted(glob.glob(os.path.join(junit_dir, "python*-units.xml"))):
        match = re.match(r"python(.+)-(\w+)-units\.xml$", os.path.basename(path))
        label = "python%s %s" % match.groups() if match else os.path.basename(path)
        totals = dict.fromkeys(COUNTS, 0)
        for suite in ET.parse(path).getroot().iter("testsuite"):
            for key in COUNTS:
                totals[key] += int(suite.get(key, 0))
        contexts[label] = totals
    return contexts


def main(junit_dir):
    contexts = read_contexts(junit_dir) if os.path.isdir(junit_dir) else {}
    for label, totals in contexts.items():
        print("%-24s %4d tests  %d failed  %d errors  %d skipped" % ((label,) + tuple(totals[key] for key in COUNTS)))
    total = sum(totals["tests"] for totals in contexts.values())
    bad = sum(totals["failures"] + totals["errors"] for totals in contexts.values())
    skipped = sum(totals["skipped"] for totals in contexts.values())
    print("ansible-test units: %d tests in %d context(s), %d failed or errored, %d skipped" % (total, len(contexts), bad, skipped))
    if not total:
        print("no unit test reported a result in %s" % junit_dir)
    if skipped:
        print("a unit test was skipped on the checkout, where every one can run: see the skip reasons above")
    return 0 if total and not bad and not skipped else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
