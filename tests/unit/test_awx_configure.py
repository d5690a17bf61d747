"""playbooks/awx_configure.yml against what it configures: the credential type file, the surveys, the role
variables they set and the plan -> approval -> apply workflow (no controller needed; drift fails here)."""

import json
import os
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "awx"
QUESTION_TYPES = {"text", "textarea", "password", "integer", "float", "multiplechoice", "multiselect"}


def load_yaml(path):
    return yaml.safe_load(path.read_text())


@pytest.fixture(scope="module")
def play():
    plays = load_yaml(ROOT / "playbooks" / "awx_configure.yml")
    assert len(plays) == 1
    return plays[0]


def task(play, module):
    found = [t for t in play["tasks"] if module in t]
    assert len(found) == 1, module
    return found[0]


def role_options(role):
    return load_yaml(ROOT / "roles" / role / "meta" / "argument_specs.yml")["argument_specs"]["main"]["options"]


def variables_of(playbook):
    """What a survey of ``playbook`` may set: the role's documented variables, or the play's own vars."""
    plays = load_yaml(ROOT / playbook)
    roles = [r["role"].split(".")[-1] for p in plays for r in p.get("roles", [])]
    if roles:
        return dict((name, spec) for role in roles for name, spec in role_options(role).items())
    return dict((name, {}) for p in plays for name in p.get("vars", {}))


def check_survey(survey, variables):
    assert survey["name"] and survey["description"]
    for question in survey["spec"]:
        assert {"question_name", "variable", "type", "required"} <= set(question), question
        assert question["type"] in QUESTION_TYPES, question
        assert question["variable"] in variables, "%s is not a variable of the playbook" % question["variable"]
        if question["variable"].endswith(("_ids", "_ids_text")):
            assert question["type"] == "textarea", "%s: id lists are typed one per line" % question["variable"]
        allowed = variables[question["variable"]].get("choices")
        if allowed and question["type"] in ("multiplechoice", "multiselect"):
            assert set(question["choices"].split("\n")) <= {str(c) for c in allowed}, question["variable"]


def test_the_credential_type_comes_from_the_one_file_operators_paste(play):
    credential_type = load_yaml(DOCS / "credential_type.yml")
    created = task(play, "awx.awx.credential_type")["awx.awx.credential_type"]
    assert "docs_dir ~ '/credential_type.yml'" in play["vars"]["awx_configure_credential_type"]
    assert created["kind"] == credential_type["kind"]
    assert set(created["inputs"]) == set(credential_type["inputs"]) and set(created["injectors"]) == set(credential_type["injectors"])
    assert all("awx_configure_credential_type." in value for value in list(created["inputs"].values()) + list(created["injectors"].values()))
    # The credential fills every input of the type (AWX keeps the empty ones empty), the token never from a file.
    credential = task(play, "awx.awx.credential")
    fields = {field["id"] for field in credential_type["inputs"]["fields"]}
    assert set(credential["awx.awx.credential"]["inputs"]) == fields
    assert credential["no_log"] is True
    assert "lookup('ansible.builtin.env', 'FLOWOPS_API_TOKEN')" in play["vars"]["awx_configure_api_token"]


def test_every_job_template_survey_sets_variables_its_playbook_reads(play):
    templates = play["vars"]["awx_configure_job_templates"]
    assert {t["playbook"] for t in templates} == {"playbooks/incident_recovery.yml", "playbooks/error_report.yml",
                                                  "playbooks/environment_promotion.yml"}
    job_template = task(play, "awx.awx.job_template")
    assert job_template["awx.awx.job_template"]["ask_job_type_on_launch"] is True  # the workflow's check-mode node needs it
    assert job_template["awx.awx.job_template"]["survey_enabled"] is True
    for template in templates:
        assert (ROOT / template["playbook"]).is_file()
        check_survey(json.loads((DOCS / template["survey"]).read_text()), variables_of(template["playbook"]))


def test_the_workflow_plans_in_check_mode_waits_for_approval_and_applies(play):
    workflow = task(play, "awx.awx.workflow_job_template")["awx.awx.workflow_job_template"]
    nodes = dict((node["identifier"], node) for node in workflow["workflow_nodes"])
    assert list(nodes) == ["plan", "approve", "apply"]
    recovery = next(t["name"] for t in play["vars"]["awx_configure_job_templates"] if t["playbook"] == "playbooks/incident_recovery.yml")
    assert recovery == "{{ awx_configure_recovery_template }}"
    assert nodes["plan"]["unified_job_template"] == dict(nodes["apply"]["unified_job_template"], name=recovery, type="job_template")
    assert nodes["plan"]["job_type"] == "check" and nodes["apply"]["job_type"] == "run"
    assert nodes["approve"]["unified_job_template"]["type"] == "workflow_approval"
    assert nodes["plan"]["related"] == {"success_nodes": [{"identifier": "approve"}]}
    assert nodes["approve"]["related"] == {"success_nodes": [{"identifier": "apply"}]}
    assert "related" not in nodes["apply"]
    assert workflow["allow_simultaneous"] is False  # one plan file at a time
    # The workflow's survey is the recovery survey plus the plan file on a persistent path.
    recovery_survey = json.loads((DOCS / "incident_recovery_survey.json").read_text())
    question = play["vars"]["awx_configure_plan_question"]
    assert question["variable"] == "incident_recovery_plan_file" and question["type"] == "text"
    assert question["default"].startswith("{{ awx_configure_report_dir }}/")
    # Plan and apply select the same window: the workflow asks for an absolute start, with no relative default.
    since = play["vars"]["awx_configure_since_question"]
    assert since["variable"] == "incident_recovery_since" and since["required"] is True and since["default"] == ""
    assert "rejectattr('variable', 'equalto', 'incident_recovery_since')" in workflow["survey_spec"]["spec"]
    spec = [q for q in recovery_survey["spec"] if q["variable"] != "incident_recovery_since"] + [since, question]
    check_survey(dict(recovery_survey, spec=spec), variables_of("playbooks/incident_recovery.yml"))


def awx_collection():
    """awx.awx as scripts/test.sh's lint stage caches it, or None."""
    cache = os.environ.get("FLOWOPS_TEST_CACHE") or os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"),
                                                                 "flowops-ipaas")
    found = sorted(Path(cache).glob("awx-collection/*/ansible_collections/awx/awx/plugins/modules/workflow_job_template.py"))
    return found[-1] if found else None


def documented_options(module_file):
    source = module_file.read_text()
    start = source.index("DOCUMENTATION")
    text = source[source.index("'''", start) + 3:]
    return yaml.safe_load(text[:text.index("'''")])["options"]


def test_workflow_nodes_use_only_options_awx_awx_documents(play):
    # ansible-lint checks the top-level options; awx.awx's argument spec leaves workflow_nodes unchecked, so its
    # documented suboptions are checked here.
    module_file = awx_collection()
    if module_file is None:
        pytest.skip("awx.awx not cached yet (scripts/test.sh lint fetches it)")
    suboptions = documented_options(module_file)["workflow_nodes"]["suboptions"]
    template_options = suboptions["unified_job_template"]["suboptions"]
    for node in task(play, "awx.awx.workflow_job_template")["awx.awx.workflow_job_template"]["workflow_nodes"]:
        assert set(node) <= set(suboptions), node["identifier"]
        assert set(node["unified_job_template"]) <= set(template_options), node["identifier"]
        assert set(node.get("related", {})) <= set(suboptions["related"]["suboptions"]), node["identifier"]
        if "job_type" in node:
            assert node["job_type"] in suboptions["job_type"]["choices"]


def test_the_flows_inventory_source_runs_the_plugin_on_a_file_of_the_project(play):
    # Off unless the path of a flowops.yml in the project is given; then an inventory and its source, together.
    assert play["vars"]["awx_configure_flows_inventory_source_path"] == ""
    source_task = task(play, "awx.awx.inventory_source")
    source = source_task["awx.awx.inventory_source"]
    assert source_task["when"] == "awx_configure_flows_inventory_source_path | length > 0"
    assert source["source"] == "scm" and source["source_project"] == "{{ awx_configure_prefix }}"
    assert source["source_path"] == "{{ awx_configure_flows_inventory_source_path }}"
    assert source["overwrite"] is True and source["update_on_launch"] is True
    # The credential the job templates use: its injectors give the plugin FLOWOPS_API_TOKEN and the rest.
    assert source["credential"] == task(play, "awx.awx.credential")["awx.awx.credential"]["name"]
    inventories = [t for t in play["tasks"] if "awx.awx.inventory" in t and t["awx.awx.inventory"]["name"] == source["inventory"]]
    assert len(inventories) == 1 and inventories[0]["when"] == source_task["when"]
    assert play["tasks"].index(inventories[0]) < play["tasks"].index(source_task)
    assert source["inventory"] != task(play, "awx.awx.job_template")["awx.awx.job_template"]["inventory"]
    module_file = awx_collection()
    if module_file is not None:
        documented = documented_options(module_file.parent / "inventory_source.py")
        assert set(source) <= set(documented)
        assert source["source"] in documented["source"]["choices"]
