"""The Activepieces Flow Runs API emulator: routes (api), state, fixtures (plugin)."""

from .api import ActivepiecesApp, ActivepiecesHandle, add_cli_arguments, app_from_args, start  # noqa: F401

NAME = "activepieces"
DESCRIPTION = "Activepieces Flow Runs API"
