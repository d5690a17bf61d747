"""The Cloudflare Workflows instances API emulator: routes (api), state, fixtures (plugin)."""

from .api import CloudflareApp, CloudflareHandle, add_cli_arguments, app_from_args, start  # noqa: F401

NAME = "cloudflare"
DESCRIPTION = "Cloudflare Workflows instances API"
