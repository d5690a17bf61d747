"""pytest fixtures: an Activepieces emulator in a thread of the test process, strict contract validation on.

Teardown fails the test when the emulator recorded a contract violation (of the client's requests or of its own
responses; activepieces-contract.json) or crashed in a handler; clear ``handle.openapi_violations`` in tests that
send invalid requests on purpose, or pass ``strict=False`` to the factory.
"""

from . import api
from ..core.fixtures import platform_fixtures

activepieces_emulator_factory, activepieces_emulator = platform_fixtures("activepieces", api.start, "Activepieces")
