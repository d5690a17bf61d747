"""A thin HTTP client over the emulator for the emulator's own tests."""

import pytest
import requests

from ansible_collections.flowops.ipaas.tests.emulator.celigo import scenario as scenarios


class Api:
    """requests against one emulator handle, with its bearer token unless ``token`` says otherwise."""

    def __init__(self, handle, token=None):
        self.handle = handle
        self.session = requests.Session()
        self.session.headers["Authorization"] = "Bearer " + (token or handle.token)

    def call(self, method, path, **kwargs):
        kwargs.setdefault("timeout", 10)
        url = path if path.startswith("http") else self.handle.url + path
        return self.session.request(method, url, **kwargs)

    def get(self, path, **kwargs):
        return self.call("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.call("POST", path, **kwargs)

    def put(self, path, **kwargs):
        return self.call("PUT", path, **kwargs)

    def close(self):
        self.session.close()


@pytest.fixture
def api_for():
    """``api_for(handle, token=None)`` -> an Api for an emulator made with the factory fixture."""
    clients = []

    def make(handle, token=None):
        clients.append(Api(handle, token))
        return clients[-1]

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def api(celigo_emulator, api_for):  # pylint: disable=redefined-outer-name
    return api_for(celigo_emulator)


@pytest.fixture
def scenario(celigo_emulator):
    return celigo_emulator.scenario


@pytest.fixture
def instance(scenario):  # pylint: disable=redefined-outer-name
    """The first (enabled) instance flow and its step ids."""
    flow_id = scenarios.instance_ids(scenario, disabled=False)[0]
    return flow_id, scenarios.step_ids(scenario, flow_id)
