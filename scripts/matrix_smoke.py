"""The matrix's smoke run: playbooks/incident_recovery.yml from an installed collection against its own emulator.

Usage: matrix_smoke.py COLLECTIONS_DIR WORKDIR   (run with the Python of the venv under test)
COLLECTIONS_DIR holds ansible_collections/flowops/ipaas as `ansible-galaxy collection install` left it. The
emulator is imported from that copy too (tests/emulator ships in the tarball). The run retries, reconciles and
resolves; the result is checked against the emulator's state, then a second run must change nothing.
Prints one line of JSON and exits 1 on the first check that fails.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

MIX = {"intermittent": 4, "rate_limit": 2, "duplicate": 1, "value": 1}


def check(condition, what):
    if not condition:
        print(json.dumps({"ok": False, "failed": what}))
        sys.exit(1)


def run_playbook(collections, workdir, handle, variables, label):
    env = {key: value for key, value in os.environ.items() if key.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": str(collections),
        "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "False",
        "ANSIBLE_CONFIG": str(workdir / "ansible.cfg"),
        "ANSIBLE_HOME": str(workdir / "ansible-home"),
        "ANSIBLE_LOCAL_TEMP": str(workdir / "ansible-tmp"),
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "ANSIBLE_NOCOLOR": "1",
        "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1",
        "FLOWOPS_API_URL": handle.url,
        "FLOWOPS_API_TOKEN": handle.token,
    })
    env.pop("PYTHONPATH", None)
    vars_file = workdir / ("%s-vars.json" % label)
    vars_file.write_text(json.dumps(variables))
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "flowops.ipaas.incident_recovery", "-e", "@%s" % vars_file]
    result = subprocess.run(command, env=env, cwd=str(workdir), capture_output=True, text=True, timeout=600, check=False)
    sys.stderr.write(result.stdout + result.stderr)
    return result


def main(collections, workdir):
    collections, workdir = Path(collections).resolve(), Path(workdir).resolve()
    (workdir / "ansible.cfg").write_text("[defaults]\n")
    sys.path.insert(0, str(collections))
    # pylint: disable=import-outside-toplevel
    from ansible_collections.flowops.ipaas.tests.emulator import celigo
    from ansible_collections.flowops.ipaas.tests.emulator.celigo import scenario as scenarios

    check(Path(celigo.__file__).resolve().is_relative_to(collections), "the emulator comes from the installed copy")
    scenario = scenarios.generate(abstract_flows=1, instances=3, steps=2, errors_per_step=8, disabled_instances=1,
                                  classifications=MIX, fail_again_share=0.2, seed=16)
    handle = celigo.start(scenario, page_size=20, job_seconds=0.1, strict=True)
    try:
        reports = workdir / "reports"
        variables = {"incident_recovery_abstract_flow_ids": scenarios.abstract_flow_ids(scenario),
                     "incident_recovery_resolve_classifications": ["duplicate"],
                     "incident_recovery_poll_interval": 0.1,
                     "incident_recovery_report_dir": str(reports)}
        first = run_playbook(collections, workdir, handle, dict(variables, incident_recovery_run_id="first"), "first")
        check(first.returncode == 0, "first run exits 0 (rc %d)" % first.returncode)
        report = json.loads((reports / "incident-recovery-first.json").read_text())
        disabled = set(scenarios.instance_ids(scenario, disabled=True))
        retryable = {e["retryDataKey"] for e in scenario["errors"] if e.get("retryDataKey")
                     and e["classification"] in ("intermittent", "rate_limit") and e["_flowId"] not in disabled}
        duplicates = [e for e in scenario["errors"] if e["classification"] == "duplicate"]
        check(bool(retryable) and bool(duplicates), "the scenario has retryable and duplicate errors")
        check(set(handle.retry_counts) == retryable, "every retryable error on an enabled flow was retried, no other")
        check(report["left_open"]["retryable_on_enabled_flows"] == 0, "no retryable error left open")
        check(report["resolve"]["resolved"] == len(duplicates), "every duplicate resolved")

        handle.clear_requests()
        second = run_playbook(collections, workdir, handle, dict(variables, incident_recovery_run_id="second"), "second")
        check(second.returncode == 0, "second run exits 0 (rc %d)" % second.returncode)
        check(handle.non_get_requests() == [], "the second run sends no write")
        check(handle.problems() == [], "the emulator recorded no contract violation")
        print(json.dumps({"ok": True, "retried": len(retryable), "resolved": len(duplicates)}))
    finally:
        handle.stop()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
