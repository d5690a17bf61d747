"""The test runs' module payload cache (tests/callback_plugins/flowops_ansiballz_cache.py): a second run reuses what the
first built and gets the same results; a module the key does not cover is never kept."""

import os

from ansible_collections.flowops.ipaas.tests.playbook_env import Playbook

LIBRARY_MODULE = """#!/usr/bin/python
from ansible.module_utils.basic import AnsibleModule
AnsibleModule(argument_spec={}).exit_json(changed=False, probe=1)
"""
TASKS = [
    # Fails its own validation, before any request: the emulator is not needed.
    {"flowops.ipaas.flow_instance_info": {"flow_ids": ["6a0fc7eb7202049b32ea45b1"], "timeout": 0}, "ignore_errors": True},
    {"ansible.builtin.stat": {"path": "/"}},
    {"flowops_cache_probe": {}},  # from library/ beside the playbook: ansible.legacy, outside the key
]
BUILT = "ANSIBALLZ: Creating module"
REUSED = "ANSIBALLZ: using cached module"


def test_a_second_run_reuses_the_payloads_and_gets_the_same_results(tmp_path):
    (tmp_path / "library").mkdir()
    (tmp_path / "library" / "flowops_cache_probe.py").write_text(LIBRARY_MODULE)
    store = tmp_path / "store"
    runner = Playbook(tmp_path, "http://127.0.0.1:9", "unused-token")
    env = {"FLOWOPS_TEST_ANSIBALLZ_CACHE": str(store), "ANSIBLE_DEBUG": "1"}

    first = runner.run(TASKS, env=env)
    assert first.rc == 0, first.output[-3000:]
    assert first.output.count(BUILT) == 3
    (key,) = os.listdir(store)
    assert sorted(name.split("-")[0] for name in os.listdir(store / key)) == [
        "ansible.modules.stat", "ansible_collections.flowops.ipaas.plugins.modules.flow_instance_info"]

    second = runner.run(TASKS, env=env)
    assert second.rc == 0, second.output[-3000:]
    assert second.output.count(BUILT) == 1  # only the library module, which is never kept
    assert second.output.count(REUSED) >= 2
    assert "timeout" in second["r0"]["msg"] and second["r0"]["msg"] == first["r0"]["msg"]
    assert second["r1"]["stat"]["isdir"] and second["r2"]["probe"] == 1
    assert os.listdir(store) == [key]
