"""A job run the way AWX runs it: ansible-runner with the credential as environment, the survey answers as extra vars
and a local inventory. The AWX suites (test_awx, test_awx_results, test_plan_apply) share it."""

import os
import sys

import ansible_runner

from ansible_collections.flowops.ipaas.tests.playbook_env import BIN, ROOT, cache_env, callbacks_env


def run_like_awx(private_data_dir, playbook, envvars, extravars, check=False):
    """One job of ``playbooks/<playbook>``; returns (runner result, stdout, events, the set_stats data)."""
    private_data_dir.mkdir()
    # ansible-runner finds ansible-playbook on PATH: the venv's first. The test caches as in every other run;
    # ansible-runner adds its own callbacks to the ones given here.
    envvars = dict(envvars, PATH=os.pathsep.join((str(BIN), os.environ.get("PATH", ""))), **cache_env(os.environ),
                   **callbacks_env("flowops_ansiballz_cache"))
    result = ansible_runner.run(private_data_dir=str(private_data_dir), playbook=str(ROOT / "playbooks" / playbook),
                                envvars=envvars, extravars=extravars, quiet=True,
                                cmdline="--check" if check else None,
                                inventory="localhost ansible_connection=local ansible_python_interpreter=%s" % sys.executable)
    stdout = result.stdout.read()
    events = list(result.events)
    stats = next(e for e in events if e["event"] == "playbook_on_stats")["event_data"].get("artifact_data", {})
    return result, stdout, events, stats
