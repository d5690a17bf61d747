"""Auth, flow listing (Link paging, 204, filters), sparse and merged instances, descendants, error summary."""

import requests

from ansible_collections.flowops.ipaas.tests.emulator.celigo import scenario as scenarios


def test_missing_authorization_header_gets_bare_unauthorized_body(celigo_emulator):
    response = requests.get(celigo_emulator.url + "/v1/flows", timeout=10)
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}


def test_wrong_token_gets_bare_bearer_authentication_failed_body(celigo_emulator):
    for header in ("Bearer not-the-token", "Basic abc", "Bearer"):
        response = requests.get(celigo_emulator.url + "/v1/flows", headers={"Authorization": header}, timeout=10)
        assert response.status_code == 401
        assert response.json() == {"message": "Bearer Authentication Failed"}


def test_api_prefix_serves_the_same_paths(api, instance):
    flow_id = instance[0]
    assert api.get("/api/v1/flows/%s" % flow_id).json() == api.get("/v1/flows/%s" % flow_id).json()
    assert api.get("/api/v1/flows/%s" % flow_id).json()["_id"] == flow_id


def test_unknown_flow_is_404_not_found(api):
    response = api.get("/v1/flows/%s" % ("0" * 24))
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"


def test_link_paging_walks_every_flow_and_omits_link_on_last_page(api, celigo_emulator, scenario):
    celigo_emulator.configure(flow_page_size=2)
    url, seen, pages = "/v1/flows", [], 0
    while url:
        response = api.get(url)
        assert response.status_code == 200
        pages += 1
        seen += [flow["_id"] for flow in response.json()]
        url = response.links.get("next", {}).get("url")
        if url:
            assert url.startswith(celigo_emulator.url + "/v1/flows?")
        else:
            assert "Link" not in response.headers
    assert seen == [flow["_id"] for flow in scenario["flows"]]
    assert pages == (len(scenario["flows"]) + 1) // 2


def test_link_keeps_the_filter_and_the_api_prefix(api, celigo_emulator, scenario):
    celigo_emulator.configure(flow_page_size=1)
    abstract_id = scenarios.abstract_flow_ids(scenario)[0]
    response = api.get("/api/v1/flows", params={"_abstractFlowId": abstract_id})
    link = response.links["next"]["url"]
    assert link.startswith(celigo_emulator.url + "/api/v1/flows?")
    assert "_abstractFlowId=%s" % abstract_id in link and "page=2" in link


def test_abstract_flow_filter_lists_only_its_instances_sparse(api, scenario):
    abstract_id = scenarios.abstract_flow_ids(scenario)[0]
    flows = api.get("/v1/flows", params={"_abstractFlowId": abstract_id}).json()
    assert [flow["_id"] for flow in flows] == scenarios.instance_ids(scenario, abstract_id)
    assert all(flow["_abstractFlowId"] == abstract_id for flow in flows)
    assert all("pageGenerators" not in flow and "pageProcessors" not in flow for flow in flows)
    assert [flow["disabled"] for flow in flows] == [False, False, False, True]


def test_empty_listing_is_204_without_body(api, scenario):
    response = api.get("/v1/flows", params={"_abstractFlowId": "f" * 24})
    assert response.status_code == 204
    assert response.content == b""
    integration_id = scenario["integrations"][1]["_id"]
    assert [flow["_id"] for flow in api.get("/v1/flows", params={"_integrationId": integration_id}).json()] == \
        scenarios.plain_flow_ids(scenario)


def test_instance_is_sparse_unless_merge_instance(api, scenario, instance):
    flow_id, steps = instance
    sparse = api.get("/v1/flows/%s" % flow_id).json()
    assert "pageGenerators" not in sparse and "pageProcessors" not in sparse
    merged = api.get("/v1/flows/%s" % flow_id, params={"mergeInstance": "true"}).json()
    abstract = scenarios.flow(scenario, sparse["_abstractFlowId"])
    assert merged["pageGenerators"] == abstract["pageGenerators"]
    assert merged["pageProcessors"] == abstract["pageProcessors"]
    assert [merged["pageGenerators"][0]["_exportId"], merged["pageProcessors"][0]["_importId"]] == steps


def test_abstract_flow_carries_its_steps(api, scenario):
    abstract_id = scenarios.abstract_flow_ids(scenario)[0]
    flow = api.get("/v1/flows/%s" % abstract_id).json()
    assert flow["isAbstract"] is True
    assert flow["numInstances"] == 4
    assert "_abstractFlowId" not in flow
    assert len(flow["pageProcessors"]) == 1


def test_descendants_are_full_resources(api, scenario, instance):
    flow_id, steps = instance
    body = api.get("/v1/flows/%s/descendants" % flow_id).json()
    assert [item["_id"] for item in body["exports"] + body["imports"]] == steps
    assert body["tools"] == []
    connections = scenarios.connection_ids(scenario)
    assert body["imports"][0]["_connectionId"] == connections["sandbox"]
    assert body["exports"][0]["_connectionId"] == connections["other_type"]
    assert body["imports"][0]["adaptorType"] == "HTTPImport" and body["imports"][0]["name"]


def test_flow_error_summary_lists_every_step_and_last_error_only_when_nonzero(api, celigo_emulator, instance):
    flow_id, steps = instance
    entries = api.get("/v1/flows/%s/errors" % flow_id).json()["flowErrors"]
    assert [entry["_expOrImpId"] for entry in entries] == steps
    assert [entry["numError"] for entry in entries] == [6, 6]
    latest = max(error["occurredAt"] for error in celigo_emulator.state.open_errors(flow_id, steps[0]))
    assert entries[0]["lastErrorAt"] == latest
    ids = [error["errorId"] for error in celigo_emulator.state.open_errors(flow_id, steps[0])]
    assert api.put("/v1/flows/%s/%s/resolved" % (flow_id, steps[0]), json={"errors": ids}).status_code == 204
    entries = api.get("/v1/flows/%s/errors" % flow_id).json()["flowErrors"]
    assert entries[0] == {"_expOrImpId": steps[0], "numError": 0}


def test_get_connection(api, scenario):
    connection = scenario["connections"][0]
    body = api.get("/v1/connections/%s" % connection["_id"]).json()
    assert (body["_id"], body["type"], body["name"]) == (connection["_id"], "http", connection["name"])
    assert api.get("/v1/connections/%s" % ("0" * 24)).status_code == 404


def test_run_flow_queues_a_job_and_refuses_disabled_flows(api, celigo_emulator, scenario):
    enabled = scenarios.instance_ids(scenario, disabled=False)[0]
    disabled = scenarios.instance_ids(scenario, disabled=True)[0]
    job_id = api.post("/v1/flows/%s/run" % enabled).json()["_jobId"]
    assert api.get("/v1/jobs/%s" % job_id).json()["type"] == "flow"
    response = api.post("/v1/flows/%s/run" % disabled)
    assert response.status_code == 422
    assert celigo_emulator.state.runs == {enabled: 1}
