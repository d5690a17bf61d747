#!/usr/bin/env python
"""Python interpreter wrapper that records the peak RSS of the module process it starts.

Set as ``ansible_python_interpreter``, Ansible runs ``peak_rss.py /path/AnsiballZ_<module>.py``; this
starts the real interpreter (``FLOWOPS_BENCH_PYTHON``, default: the Python running this file) with the
same arguments and stdin/stdout, waits for it with ``os.wait4`` and appends one JSON line to
``FLOWOPS_BENCH_RSS_LOG``: the kernel's peak resident set size of that process (``ru_maxrss``), its wall
and CPU time. The module runs in-process in the AnsiballZ wrapper, so this is the module's own peak.
"""

import json
import os
import subprocess
import sys
import time


def main():
    """Run the real interpreter with our arguments, log its peak RSS, exit with its exit code."""
    real = os.environ.get("FLOWOPS_BENCH_PYTHON") or sys.executable
    log = os.environ.get("FLOWOPS_BENCH_RSS_LOG")
    started = time.monotonic()
    with subprocess.Popen([real] + sys.argv[1:]) as proc:
        _pid, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    if log:
        record = {
            "script": os.path.basename(sys.argv[1]) if len(sys.argv) > 1 else "",
            "maxrss_kb": usage.ru_maxrss,
            "wall_s": round(time.monotonic() - started, 3),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
            "rc": proc.returncode,
        }
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
