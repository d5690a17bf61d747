"""Prints one line per ansible-test sanity test from its JUnit results, so no skip goes unnoticed.

Usage: sanity_report.py JUNIT_DIR LIST_FILE
LIST_FILE holds the output of `ansible-test sanity --list-tests`: every test expected to report.
Exits 1 when a test failed or a listed test left no result.
"""

import os
import re
import sys
import xml.etree.ElementTree as ET

# Why ansible-test finds nothing to check, when it says only "No tests applicable."
NOTHING_TO_CHECK = {
    "changelog": "no changelogs/ fragments to check",
    "empty-init": "no __init__.py under plugins/modules or plugins/module_utils",
    "pslint": "no PowerShell files",
    "shellcheck": "no shell scripts",
    "integration-aliases": "no tests/integration/targets",
}


def base_name(name, python):
    suffix = "-python-%s" % python
    return name[: -len(suffix)] if python and name.endswith(suffix) else name


def read_results(junit_dir, python):
    results = {}
    for filename in sorted(os.listdir(junit_dir)):
        if not filename.endswith(".xml"):
            continue
        for case in ET.parse(os.path.join(junit_dir, filename)).iter("testcase"):
            name = base_name(case.get("name"), python)
            skipped = case.find("skipped")
            failed = case.find("failure") if case.find("failure") is not None else case.find("error")
            if failed is not None:
                message = (failed.get("message") or "").strip()
                count = re.search(r"failed with (\d+ errors?)", message)
                results[name] = ("FAILED", count.group(1) + ", listed above" if count else message)
            elif skipped is not None:
                reason = (skipped.get("message") or skipped.text or "").strip()
                if reason == "No tests applicable." and name in NOTHING_TO_CHECK:
                    reason = "nothing to check: %s" % NOTHING_TO_CHECK[name]
                results[name] = ("skipped", reason)
            else:
                results[name] = ("passed", "")
    return results


def main():
    junit_dir, list_file = sys.argv[1], sys.argv[2]
    python = os.environ.get("SANITY_PYTHON", "")
    with open(list_file) as handle:
        expected = [line.strip() for line in handle if line.strip()]
    results = read_results(junit_dir, python) if os.path.isdir(junit_dir) else {}
    if not expected and not results:
        print("  ansible-test ran no sanity test (see its warnings above)")
        sys.exit(1)
    bad = 0
    counts = {}
    for name in sorted(set(expected) | set(results)):
        status, detail = results.get(name, ("NO RESULT", "ansible-test reported nothing for this test"))
        counts[status] = counts.get(status, 0) + 1
        bad += status in ("FAILED", "NO RESULT")
        print(("  %-9s %-22s %s" % (status, name, detail)).rstrip())
    print("  sanity tests: " + ", ".join("%d %s" % (n, s.lower()) for s, n in sorted(counts.items())))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
