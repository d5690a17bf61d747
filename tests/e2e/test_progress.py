"""Progress lines by default while a retry round runs: the modules' action plugin prints their progress file under
the round's own task (no task added, no async), in a shell and in an ansible-runner (AWX) job; the outcome is the
same as without the lines; check mode sends nothing; a cancelled run still stops within one batch."""

import json
import os
import re
import signal
import time
from pathlib import Path

import pytest

from ansible_collections.flowops.ipaas.tests.emulator.celigo import scenario as scenarios
from ansible_collections.flowops.ipaas.tests.e2e.awx_job import run_like_awx
from ansible_collections.flowops.ipaas.tests.faults.harness import logged, small_scenario, task, wait_until

LINE = re.compile(r"^flow_errors_retry \[localhost\]: (retried|waiting for the retry jobs:) ([\d,]+) of ([\d,]+) keys"
                  r"[^\n]* \((\d+) s\)$", re.M)
ANY_LINE = re.compile(r"^flow_errors_retry \[localhost\]: ", re.M)
# Every retry request takes 1 s (the listing stays fast): a round lasts long enough for a few lines.
SLOW = {"method": "POST", "path": "/retry$", "action": "delay", "seconds": 1, "times": None}


def scenario():
    return scenarios.generate(abstract_flows=1, instances=8, steps=1, errors_per_step=3, classifications={"intermittent": 3},
                              fail_again_share=0.3, seed=4)


def role_vars(emulator, tmp_path, name, interval):
    return {"incident_recovery_abstract_flow_ids": scenarios.abstract_flow_ids(emulator.scenario),
            "incident_recovery_since": "2026-11-01T00:00:00Z", "incident_recovery_rounds": 2,
            "incident_recovery_poll_interval": 0.5, "incident_recovery_report_dir": str(tmp_path / name),
            "incident_recovery_run_id": name, "incident_recovery_progress_interval": interval,
            "incident_recovery_connection": {"max_concurrency": 1}}


def recover(playbook_for, emulator, tmp_path, name, interval, check=False):
    outcome = playbook_for(emulator).run_playbook("incident_recovery.yml", role_vars(emulator, tmp_path, name, interval), check=check)
    assert outcome.rc == 0, outcome.output
    return outcome, None if check else report_of(tmp_path, name)


def report_of(tmp_path, name):
    return json.loads((tmp_path / name / ("incident-recovery-%s.json" % name)).read_text())


def headers(stdout):
    return [line for line in stdout.splitlines() if line.startswith("TASK [")]


def progress_lines(text):
    return [(phase, int(done.replace(",", "")), int(total.replace(",", "")), int(seconds))
            for phase, done, total, seconds in LINE.findall(text)]


def assert_lines_move_forward(lines):
    """Two rounds (the second retries what failed again: a smaller total). Within a round the lines only move forward
    (sending, then waiting; counts growing) and show the work partly done, then further on."""
    totals = sorted({total for _phase, _done, total, _seconds in lines}, reverse=True)
    assert len(totals) == 2, lines
    rank = {"retried": 0, "waiting for the retry jobs:": 1}
    first = [(rank[phase], done) for phase, done, total, _seconds in lines if total == totals[0]]
    assert first == sorted(first) and len(set(first)) >= 2, lines
    assert any(done < totals[0] for _rank, done in first), lines
    seconds = [s for _phase, _done, total, s in lines if total == totals[0]]
    assert seconds == sorted(seconds) and seconds[-1] > seconds[0], lines


def same_outcome(report, expected):
    for part in ("before", "after", "left_open"):
        assert report[part] == expected[part], part
    retries = []
    for summary in (report, expected):  # job ids and report paths differ by nature
        retry = dict(summary["retry"], rounds=[r["counts"] for r in summary["retry"]["rounds"]])
        del retry["jobs"]
        retries.append(retry)
    assert retries[0] == retries[1]


def quiet_run(celigo_emulator_factory, playbook_for, tmp_path):
    """The same recovery with progress off (interval 0) on a fast emulator: its task headers, report and retries."""
    plain = celigo_emulator_factory(scenario(), job_seconds=0.1)
    outcome, report = recover(playbook_for, plain, tmp_path, "plain", 0)
    assert not ANY_LINE.search(outcome.output)
    assert "Poll" not in outcome.stdout and "async" not in outcome.stdout
    return headers(outcome.stdout), report, plain.retry_counts


def slow_emulator(celigo_emulator_factory):
    slow = celigo_emulator_factory(scenario())
    slow.configure(faults=[SLOW])
    return slow


def test_a_slow_retry_prints_lines_under_its_own_task_in_a_shell_and_in_awx_and_ends_as_without_them(
        celigo_emulator_factory, playbook_for, collections_path, tmp_path):
    quiet_headers, expected, expected_retries = quiet_run(celigo_emulator_factory, playbook_for, tmp_path)
    slow = slow_emulator(celigo_emulator_factory)
    # Check mode sends nothing (and prints no line: nothing is written).
    checked, _nothing = recover(playbook_for, slow, tmp_path, "check", 1, check=True)
    assert slow.non_get_requests() == []
    assert not ANY_LINE.search(checked.output)
    outcome, report = recover(playbook_for, slow, tmp_path, "progress", 1)
    lines = progress_lines(outcome.stdout)
    assert len(lines) >= 4, outcome.stdout
    assert_lines_move_forward(lines)
    # No task added: the same task headers as the run without lines, and every line under a retry round's header.
    assert headers(outcome.stdout) == quiet_headers
    for block in outcome.stdout.split("TASK [")[1:]:
        if LINE.search(block):
            assert block.startswith(("flowops.ipaas.incident_recovery : Retry round 1]",
                                     "flowops.ipaas.incident_recovery : Retry the keys that failed again]")), block
    assert slow.retry_counts == expected_retries and expected_retries
    same_outcome(report, expected)

    # The same job through ansible-runner, as AWX runs it: the lines are in its stdout and in its events (AWX builds
    # the job's log from them), and its tasks are the same as without the lines.
    slow = slow_emulator(celigo_emulator_factory)
    envvars = {"FLOWOPS_API_URL": slow.url, "FLOWOPS_API_TOKEN": slow.token, "ANSIBLE_COLLECTIONS_PATH": str(collections_path),
               "ANSIBLE_NOCOLOR": "1"}
    result, stdout, events, _stats = run_like_awx(tmp_path / "runner", "incident_recovery.yml", envvars,
                                                  role_vars(slow, tmp_path, "awx", 1))
    assert result.status == "successful", stdout
    assert slow.token not in stdout
    lines = progress_lines(stdout)
    assert len(lines) >= 4, stdout
    assert_lines_move_forward(lines)
    assert progress_lines("\n".join(e.get("stdout", "") for e in events)) == lines
    assert len([e for e in events if e["event"] == "playbook_on_task_start"]) == len(quiet_headers)
    assert slow.retry_counts == expected_retries
    same_outcome(report_of(tmp_path, "awx"), expected)


def _start_retry(play, flow_id, report, interval):
    """ansible-playbook running one slow retry (one key a request, one request at a time), in a process group of its own."""
    retry = task("flow_errors_retry", "retry", flow_ids=[flow_id], batch_size=1, max_concurrency=1, report_file=str(report),
                 run_id="cancel-1")
    retry["vars"] = {"flowops_progress_interval": interval}
    return play.start([retry])


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_cancelled_run_with_progress_lines_stops_within_one_batch(celigo_emulator_factory, playbook_for, tmp_path, signum):
    # 24 keys, one a request, each request 0.5 s: about 10 s of requests left when ansible-playbook is told to stop
    # (on a loaded machine ansible-playbook itself may take seconds to end; the module goes on until it has).
    scenario_ = small_scenario(instances=1, steps=2, errors=12, fail_again_share=0.0)
    flow_id = scenarios.instance_ids(scenario_)[0]
    emulator = celigo_emulator_factory(scenario_, job_seconds=0.1)
    emulator.configure(faults=[dict(SLOW, seconds=0.5)])
    play = playbook_for(emulator)
    report = tmp_path / "retry.json"
    proc, log, _results = _start_retry(play, flow_id, report, 1)
    try:
        wait_until(lambda: len(logged(emulator, "POST", "/retry$")) >= 4, timeout=90, what="four retry POSTs")
        os.kill(proc.pid, signum)  # ansible-playbook only, as ansible-runner cancels an AWX job
        proc.wait(30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        log.close()
    at_stop = len(logged(emulator, "POST", "/retry$"))
    time.sleep(2.5)  # about 5 more requests would go out if the module went on
    after = len(logged(emulator, "POST", "/retry$"))
    assert after - at_stop <= 1, "the module sent %d retry POSTs after ansible-playbook was stopped" % (after - at_stop)
    assert after < 24  # stopped, not finished
    output = Path(log.name).read_text()
    assert ANY_LINE.search(output), output  # the lines were on while it ran


def test_a_module_task_prints_lines_by_default_and_returns_the_same_result(celigo_emulator_factory, playbook_for, tmp_path):
    # At module level, without the role: the default interval (5 s) applies, module_defaults through the action group
    # still reach the module (max_concurrency 1 and batch_size 1 from the group make the run last about 7 s).
    scenario_ = small_scenario(instances=1, steps=2, errors=7, fail_again_share=0.0)
    flow_id = scenarios.instance_ids(scenario_)[0]
    emulator = celigo_emulator_factory(scenario_, job_seconds=0.1)
    emulator.configure(faults=[dict(SLOW, seconds=0.5)])
    play = playbook_for(emulator)
    retry = task("flow_errors_retry", "retry", flow_ids=[flow_id])
    retry["module_defaults"] = {"group/flowops.ipaas.ipaas": {"max_concurrency": 1, "batch_size": 1}}
    outcome = play.run([retry])
    assert outcome.rc == 0, outcome.output
    lines = re.findall(r"^flow_errors_retry \[localhost\]: retried (\d+) of 14 keys, \d+ jobs? running \((\d+) s\)$", outcome.stdout, re.M)
    assert lines and all(5 <= int(seconds) for _done, seconds in lines), outcome.stdout
    assert len(logged(emulator, "POST", "/retry$")) == 14  # batch_size 1 from module_defaults
    result = outcome["retry"]
    assert result["counts"]["retried"] == 14
    assert result["invocation"]["module_args"]["progress_file"] is None
    assert result["invocation"]["module_args"]["max_concurrency"] == 1
    # A wrong interval fails the task in one line naming the variable, before anything is sent.
    emulator.clear_requests()
    outcome = play.run([dict(task("flow_errors_retry", "retry", ignore_errors=True, flow_ids=[flow_id]),
                             vars={"flowops_progress_interval": "soon"})])
    assert outcome["retry"]["msg"] == "flowops_progress_interval: 'soon' is not a number of seconds; use 0 (no progress lines) or more, default 5"
    assert emulator.requests == []
