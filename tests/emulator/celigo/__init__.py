"""The Celigo integrator.io Flows API emulator: routes (api), state, fixtures (plugin)."""

from .api import CeligoApp, CeligoHandle, openapi_validator, add_cli_arguments, app_from_args, start  # noqa: F401

NAME = "celigo"
DESCRIPTION = "Celigo integrator.io Flows API"
