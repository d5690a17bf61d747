"""One playbook recovers failed work on all four platforms' emulators in one run, each with its own connection and token.

The rerun of this playbook is not repeated here: each platform's own role test (test_platform_*.py and
test_incident_recovery.py) runs the role twice and asserts that the second run sends nothing."""

import json

from ansible_collections.flowops.ipaas.tests.emulator.activepieces import state as ap
from ansible_collections.flowops.ipaas.tests.emulator.cloudflare import state as cf
from ansible_collections.flowops.ipaas.tests.emulator.celigo import scenario as celigo_scenarios
from ansible_collections.flowops.ipaas.tests.emulator.superai.state import flow_ids as superai_flow_ids
from ansible_collections.flowops.ipaas.tests.emulator.superai.state import generate as superai_generate


def test_one_playbook_recovers_all_four_platforms(celigo_emulator_factory, activepieces_emulator_factory, cloudflare_emulator_factory,
                                                  superai_emulator_factory, playbook_for, tmp_path):
    celigo = celigo_emulator_factory(celigo_scenarios.generate(instances=4, steps=2, errors_per_step=6, seed=4), job_seconds=0.1)
    activepieces = activepieces_emulator_factory(ap.generate(flows=2, disabled=0, failed_runs=6, succeeded_runs=1, seed=5),
                                                 run_seconds=0.1)
    cloudflare = cloudflare_emulator_factory(cf.generate(workflows=2, instances=10, errored_share=0.5, seed=6), run_seconds=0.1)
    superai = superai_emulator_factory(superai_generate(flows=2, executions=8, failed_share=0.5, seed=7), run_seconds=0.1)
    handles = {"celigo": celigo, "activepieces": activepieces, "cloudflare": cloudflare, "superai": superai}
    env = {"TOKEN_%s" % name.upper(): handle.token for name, handle in handles.items()}
    targets = [
        {"name": "celigo", "api_token_env": "TOKEN_CELIGO", "connection": {"platform": "celigo", "api_url": celigo.url},
         "abstract_flow_ids": celigo_scenarios.abstract_flow_ids(celigo.scenario)},
        {"name": "activepieces", "api_token_env": "TOKEN_ACTIVEPIECES",
         "connection": {"platform": "activepieces", "api_url": activepieces.url, "project_id": activepieces.project_id},
         "flow_ids": ap.flow_ids(activepieces.scenario)},
        {"name": "cloudflare", "api_token_env": "TOKEN_CLOUDFLARE",
         "connection": {"platform": "cloudflare", "api_url": cloudflare.url, "account_id": cloudflare.account_id},
         "flow_ids": cf.workflow_names(cloudflare.scenario)},
        {"name": "superai", "api_token_env": "TOKEN_SUPERAI", "connection": {"platform": "superai", "api_url": superai.url},
         "flow_ids": superai_flow_ids(superai.scenario)},
    ]
    reports = tmp_path / "reports"
    variables = {"multi_platform_recovery_targets": targets,
                 "multi_platform_recovery_run_id": "first", "incident_recovery_poll_interval": 0.2,
                 "incident_recovery_report_dir": str(reports)}
    # The runner's own FLOWOPS_API_URL/TOKEN point at the Celigo emulator; every target overrides them.
    runner = playbook_for(celigo)
    first = runner.run_playbook("multi_platform_recovery.yml", variables, env=env)
    assert first.rc == 0, first.output[-4000:]
    for name, handle in handles.items():
        report = json.loads((reports / ("incident-recovery-first-%s.json" % name)).read_text())
        assert report["retry"]["retried"] > 0, name
        assert report["left_open"]["retryable_on_enabled_flows"] == 0, name
        assert handle.non_get_requests(), name
        assert all(token not in first.output for token in env.values())
