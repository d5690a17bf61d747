"""pytest fixtures: a Cloudflare Workflows emulator in a thread of the test process, strict contract validation on.

Teardown fails the test when the emulator recorded a contract violation (of the client's requests or of its own
responses; cloudflare-contract.json) or crashed in a handler; clear ``handle.openapi_violations`` in tests that
send invalid requests on purpose, or pass ``strict=False`` to the factory.
"""

from . import api
from ..core.fixtures import platform_fixtures

cloudflare_emulator_factory, cloudflare_emulator = platform_fixtures("cloudflare", api.start, "Cloudflare")
