"""Security issue #24: side files and path checks, end to end with real ansible-playbook against the Celigo emulator.

A link pre-placed at ``<report_file>.lock`` or ``.journal`` is refused and its target left alone; a path option that
cannot be written (missing folder, a directory at the path) and a run id that is not a plain name fail in one line
naming the option before any request: the server sees nothing at all.
"""

# pylint: disable=redefined-outer-name

import os

from ansible_collections.flowops.ipaas.tests.emulator.celigo import scenario as scenarios
from ansible_collections.flowops.ipaas.tests.faults.harness import assert_clean_failure, small_scenario, task


def _victim(path):
    """A file an attacker wants truncated or appended to; returns what must not change."""
    path.write_text("precious\n")
    path.chmod(0o644)
    info = path.stat()
    return path, (path.read_text(), info.st_mode, info.st_size, info.st_mtime_ns)


def _unchanged(victim):
    path, before = victim
    info = path.stat()
    return (path.read_text(), info.st_mode, info.st_size, info.st_mtime_ns) == before


def test_bad_side_files_paths_and_run_ids_fail_in_one_line_before_any_request(celigo_emulator_factory, playbook,
                                                                              tmp_path, home):
    scenario = small_scenario(instances=2, steps=1, errors=3)
    emulator = celigo_emulator_factory(scenario)
    flows = scenarios.instance_ids(scenario)
    open_before = emulator.state.summary()["open"]
    files = tmp_path / "files"
    files.mkdir()
    lock_victim, journal_victim = _victim(tmp_path / "victim-lock.txt"), _victim(tmp_path / "victim-journal.txt")
    os.symlink(str(lock_victim[0]), str(files / "lock.json.lock"))
    os.symlink(str(journal_victim[0]), str(files / "journal.json.journal"))
    (files / "a-directory").mkdir()
    traversal = "/../../%s" % (tmp_path / "pwn")

    def retry(name, **args):
        return task("flow_errors_retry", name, ignore_errors=True, flow_ids=flows, **args)

    tasks = [
        retry("lock_link", report_file=str(files / "lock.json")),
        retry("journal_link", report_file=str(files / "journal.json"), run_id="rerun-1"),
        retry("progress_missing", progress_file="/nonexistent/p.json"),
        retry("report_is_directory", report_file=str(files / "a-directory")),
        retry("run_id_traversal", run_id=traversal, report_file=str(files / "r.json")),
        task("flow_errors_resolve", "resolve_run_id_traversal", ignore_errors=True, flow_ids=flows, backup=True,
             run_id=traversal),
        task("flow_errors_resolve", "resolve_report_is_directory", ignore_errors=True, flow_ids=flows,
             report_file=str(files / "a-directory")),
        task("flow_errors_info", "records_missing", ignore_errors=True, flow_ids=flows, records_file="/nonexistent/e.jsonl"),
        dict(task("flow_errors_resolve", "check_plan_is_directory", ignore_errors=True, flow_ids=flows,
                  plan_file=str(files / "a-directory")), check_mode=True),  # check mode writes the plan
    ]
    outcome = playbook(emulator.url, emulator.token).run(tasks, env={"HOME": str(home)})
    assert outcome.rc == 0, outcome.output[-3000:]

    expected = {
        "lock_link": "report_file: %s is a symbolic link; " % (files / "lock.json.lock"),
        "journal_link": "report_file: %s is a symbolic link; " % (files / "journal.json.journal"),
        "progress_missing": "progress_file: cannot write /nonexistent/p.json (No such file or directory); nothing was sent",
        "report_is_directory": "report_file: cannot write %s (it is a directory); nothing was sent" % (files / "a-directory"),
        "run_id_traversal": "run_id: '%s' " % traversal,
        "resolve_run_id_traversal": "run_id: '%s' " % traversal,
        "resolve_report_is_directory": "report_file: cannot write %s (it is a directory)" % (files / "a-directory"),
        "records_missing": "records_file: cannot write /nonexistent/e.jsonl (No such file or directory)",
        "check_plan_is_directory": "plan_file: cannot write %s (it is a directory)" % (files / "a-directory"),
    }
    for name, start in expected.items():
        assert_clean_failure(outcome[name])
        assert outcome[name]["msg"].startswith(start), (name, outcome[name]["msg"])
        assert "nothing was sent" in outcome[name]["msg"], (name, outcome[name]["msg"])

    assert emulator.requests == [], "requests reached the server: %s" % [
        (entry["method"], entry["path"]) for entry in emulator.requests]
    assert emulator.state.summary()["open"] == open_before  # nothing retried or resolved
    assert _unchanged(lock_victim) and _unchanged(journal_victim)
    assert os.path.islink(str(files / "lock.json.lock")) and os.path.islink(str(files / "journal.json.journal"))
    assert sorted(os.listdir(str(files))) == ["a-directory", "journal.json.journal", "lock.json.lock"]
    assert os.listdir(str(files / "a-directory")) == []
    assert not [name for name in os.listdir(str(tmp_path)) if name.startswith("pwn")]
    assert not (home / ".flowops" / "backups").exists() or os.listdir(str(home / ".flowops" / "backups")) == []
