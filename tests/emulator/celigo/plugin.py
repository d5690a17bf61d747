"""pytest fixtures: a Celigo emulator in a thread of the test process, strict OpenAPI validation on.

Teardown fails the test when the emulator recorded an OpenAPI violation (of the client's requests or
of its own responses) or crashed in a handler; clear ``handle.openapi_violations`` in tests that send
invalid requests on purpose, or pass ``strict=False`` to the factory.
"""

from . import api
from ..core.fixtures import platform_fixtures

celigo_emulator_factory, celigo_emulator = platform_fixtures("celigo", api.start, "Celigo")
