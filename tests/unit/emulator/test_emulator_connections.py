"""replaceConnection: 204, 422 on a type mismatch, 404s, and isolation between instances."""

import pytest

from ansible_collections.flowops.ipaas.tests.emulator.celigo import scenario as scenarios


def import_connection(api, flow_id):
    return api.get("/v1/flows/%s/descendants" % flow_id).json()["imports"][0]["_connectionId"]


def test_replace_connection_changes_only_that_instance(api, celigo_emulator, scenario):
    connections = scenarios.connection_ids(scenario)
    first, second = scenarios.instance_ids(scenario)[:2]
    body = {"_connectionId": connections["sandbox"], "_newConnectionId": connections["production"]}
    response = api.put("/v1/flows/%s/replaceConnection" % first, json=body)
    assert response.status_code == 204 and response.content == b""
    assert import_connection(api, first) == connections["production"]
    assert import_connection(api, second) == connections["sandbox"]
    # The export uses another connection and is untouched.
    assert api.get("/v1/flows/%s/descendants" % first).json()["exports"][0]["_connectionId"] == connections["other_type"]
    sparse = api.get("/v1/flows/%s" % first).json()
    assert sparse["overrides"]["connections"] == [{"_abstractId": connections["sandbox"], "_id": connections["production"]}]
    assert celigo_emulator.state.summary()["connection_overrides"] == {first: {connections["sandbox"]: connections["production"]}}


def test_replacing_back_removes_the_override(api, scenario):
    connections = scenarios.connection_ids(scenario)
    flow_id = scenarios.instance_ids(scenario)[0]
    path = "/v1/flows/%s/replaceConnection" % flow_id
    api.put(path, json={"_connectionId": connections["sandbox"], "_newConnectionId": connections["production"]})
    api.put(path, json={"_connectionId": connections["production"], "_newConnectionId": connections["sandbox"]})
    assert import_connection(api, flow_id) == connections["sandbox"]
    assert "overrides" not in api.get("/v1/flows/%s" % flow_id).json()


def test_different_connection_type_is_422_and_changes_nothing(api, scenario):
    connections = scenarios.connection_ids(scenario)
    flow_id = scenarios.instance_ids(scenario)[0]
    response = api.put("/v1/flows/%s/replaceConnection" % flow_id,
                       json={"_connectionId": connections["sandbox"], "_newConnectionId": connections["other_type"]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["message"]
    assert import_connection(api, flow_id) == connections["sandbox"]


@pytest.mark.parametrize("unknown", ["flow", "old", "new"])
def test_unknown_flow_or_connection_is_404(api, scenario, unknown):
    connections = scenarios.connection_ids(scenario)
    ids = {"flow": scenarios.instance_ids(scenario)[0], "old": connections["sandbox"], "new": connections["production"]}
    ids[unknown] = "e" * 24
    response = api.put("/v1/flows/%s/replaceConnection" % ids["flow"], json={"_connectionId": ids["old"], "_newConnectionId": ids["new"]})
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"
