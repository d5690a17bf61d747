"""Progress lines while a retry round runs: the incident_recovery role runs the round with async and prints the
module's progress file every few seconds; the outcome is the same as without progress."""

import json
import re

from ansible_collections.flowops.ipaas.tests.emulator.celigo import scenario as scenarios

LINE = re.compile(r'"msg": "(retried|waiting for the retry jobs:) ([\d,]+) of ([\d,]+) keys')


def recover(playbook_for, emulator, tmp_path, name, interval, check=False):
    variables = {"incident_recovery_abstract_flow_ids": scenarios.abstract_flow_ids(emulator.scenario),
                 "incident_recovery_since": "2026-11-01T00:00:00Z", "incident_recovery_rounds": 2,
                 "incident_recovery_poll_interval": 0.5, "incident_recovery_report_dir": str(tmp_path / name),
                 "incident_recovery_run_id": name, "incident_recovery_progress_interval": interval,
                 "incident_recovery_connection": {"max_concurrency": 1}}
    outcome = playbook_for(emulator).run_playbook("incident_recovery.yml", variables, check=check)
    assert outcome.rc == 0, outcome.output
    if check:
        return outcome, None
    return outcome, json.loads((tmp_path / name / ("incident-recovery-%s.json" % name)).read_text())


def scenario():
    return scenarios.generate(abstract_flows=1, instances=8, steps=1, errors_per_step=3, classifications={"intermittent": 3},
                              fail_again_share=0.3, seed=4)


def test_a_slow_retry_prints_growing_progress_and_ends_as_without_it(celigo_emulator_factory, playbook_for, tmp_path):
    # Slow enough for a few polls: every retry request takes 1 s, one at a time (the listing stays fast).
    slow = celigo_emulator_factory(scenario())
    slow.configure(faults=[{"method": "POST", "path": "/retry$", "action": "delay", "seconds": 1, "times": None}])
    # Check mode runs the round with async too, and sends nothing.
    checked, _nothing = recover(playbook_for, slow, tmp_path, "check", 1, check=True)
    assert "Poll the retry round" in checked.stdout
    assert slow.non_get_requests() == []
    outcome, report = recover(playbook_for, slow, tmp_path, "progress", 1)
    lines = [(phase, int(done.replace(",", "")), int(total.replace(",", ""))) for phase, done, total in LINE.findall(outcome.stdout)]
    assert len(lines) >= 2, outcome.stdout
    # Two rounds (the second retries what failed again: a smaller total). Within a round the lines only move forward
    # (sending, then waiting; counts growing) and show the work partly done, then further on.
    totals = sorted({total for _phase, _done, total in lines}, reverse=True)
    assert len(totals) == 2, lines
    rank = {"retried": 0, "waiting for the retry jobs:": 1}
    first = [(rank[phase], done) for phase, done, total in lines if total == totals[0]]
    assert first == sorted(first) and len(set(first)) >= 2, lines
    assert any(done < totals[0] for _rank, done in first), lines
    plain = celigo_emulator_factory(scenario(), job_seconds=0.1)
    quiet, expected = recover(playbook_for, plain, tmp_path, "plain", 0)
    assert not LINE.search(quiet.stdout)
    assert slow.retry_counts == plain.retry_counts and slow.retry_counts
    for part in ("before", "after", "left_open"):
        assert report[part] == expected[part], part
    for summary in (report, expected):  # job ids and report paths differ by nature
        summary["retry"]["rounds"] = [r["counts"] for r in summary["retry"]["rounds"]]
        del summary["retry"]["jobs"]
    assert report["retry"] == expected["retry"]
