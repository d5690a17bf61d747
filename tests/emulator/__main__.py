"""Run an emulator on its own: ``PYTHONPATH=tests python -m emulator celigo --generate instances=40``.

Prints ``listening on http://127.0.0.1:PORT`` once it accepts connections and serves until SIGTERM or SIGINT.
"""

import argparse
import os
import signal
import sys
import threading

from . import activepieces, celigo, cloudflare, superai
from .core.cli import add_common_arguments
from .core.server import EmulatorServer, check_loopback


# platform -> (help, add its arguments to a sub-parser, build its app from the parsed arguments)
PLATFORMS = dict(
    (package.NAME, (package.DESCRIPTION, package.add_cli_arguments, package.app_from_args))
    for package in (celigo, activepieces, superai, cloudflare)
)


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m emulator", description="Local emulators of iPaaS REST APIs.")
    platforms = parser.add_subparsers(dest="platform", required=True)
    for name, (help_text, add_arguments, dummy) in PLATFORMS.items():
        sub = platforms.add_parser(name, help=help_text)
        add_arguments(sub)
        add_common_arguments(sub)
    return parser


def build_app(args):
    """The app for the parsed arguments; ValueError/OSError for a bad scenario, host or setting."""
    check_loopback(args.host)  # before generating a large scenario for nothing
    return PLATFORMS[args.platform][2](args)


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        server = EmulatorServer(build_app(args), args.host, args.port)
    except ImportError as exc:
        print("error: --strict needs jsonschema and referencing: %s" % exc, file=sys.stderr)
        return 2
    except (ValueError, OSError) as exc:
        print("error: %s" % exc, file=sys.stderr)
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *signal_args: stop.set())
    signal.signal(signal.SIGINT, lambda *signal_args: stop.set())
    server.start()
    if args.port_file:  # written then renamed, so a reader never sees a half-written file
        with open(args.port_file + ".tmp", "w", encoding="utf-8") as handle:
            handle.write("%d\n" % server.port)
        os.replace(args.port_file + ".tmp", args.port_file)
    print("listening on %s" % server.url, flush=True)
    while not stop.wait(0.5):
        pass
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
