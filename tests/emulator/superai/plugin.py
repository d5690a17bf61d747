"""pytest fixtures: a SuperAI emulator in a thread of the test process, strict contract validation on.

Teardown fails the test when the emulator recorded a contract violation (of the client's requests or of its own
responses, against superai-contract.json) or crashed in a handler; call ``handle.clear_violations()`` in tests
that send invalid requests on purpose, or pass ``strict=False`` to the factory.
"""

from . import api
from ..core.fixtures import platform_fixtures

superai_emulator_factory, superai_emulator = platform_fixtures("superai", api.start, "SuperAI")
