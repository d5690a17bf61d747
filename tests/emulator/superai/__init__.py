"""The SuperAI flow-execution API emulator: routes (api), state, fixtures (plugin)."""

from .api import SuperAIApp, SuperAIHandle, add_cli_arguments, app_from_args, start  # noqa: F401

NAME = "superai"
DESCRIPTION = "SuperAI flow-execution API"
