"""Run an emulator on its own: ``PYTHONPATH=tests python -m emulator celigo --generate instances=40``.

Prints ``listening on http://127.0.0.1:PORT`` once it accepts connections and serves until SIGTERM or SIGINT.
"""

import argparse
import json
import os
import signal
import sys
import threading

from . import activepieces
from . import cloudflare
from . import scenario as scenarios
from . import superai
from .celigo import CeligoApp
from .server import EmulatorServer, check_loopback


def _retry_after(value):
    return int(value) if value.isdigit() else value  # a non-integer header value is allowed on purpose


def add_common_arguments(parser):
    """Switches every platform's emulator takes."""
    parser.add_argument("--save-scenario", metavar="FILE", help="write the scenario (generated or loaded) to FILE")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (127.0.0.0/8 or ::1)")
    parser.add_argument("--port", type=int, default=0, help="port (0: any free port)")
    parser.add_argument("--port-file", metavar="FILE", help="write the bound port to FILE")
    parser.add_argument("--token", help="bearer token to accept (default: the scenario's)")
    parser.add_argument("--latency-ms", type=float, default=0)
    parser.add_argument("--rate-limit-every", type=int, default=0, help="answer every Nth API request with 429")
    parser.add_argument("--retry-after", type=_retry_after, default=1, help="Retry-After value sent with the 429s")
    parser.add_argument("--faults", metavar="JSON", help="fault rules as a JSON list")


def common_switches(args):
    return dict(latency_ms=args.latency_ms, rate_limit_every=args.rate_limit_every, retry_after=args.retry_after,
                faults=json.loads(args.faults) if args.faults else [])


def add_celigo_arguments(parser):
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--scenario", metavar="FILE", help="scenario JSON file")
    source.add_argument("--generate", metavar="SPEC", default="",
                        help="generator settings, e.g. instances=40,steps=2,errors=30,seed=1 (the default scenario)")
    source.add_argument("--preset", choices=sorted(scenarios.PRESETS), help="a named scenario (outage: the demo's)")
    parser.add_argument("--page-size", type=int, default=100, help="errors per page on .../errors and .../resolved")
    parser.add_argument("--flow-page-size", type=int, default=100, help="flows per page on /v1/flows")
    parser.add_argument("--job-seconds", type=float, default=0.3, help="time for a retry job to complete")
    parser.add_argument("--strict", action="store_true", help="validate traffic against the OpenAPI document (needs jsonschema)")


def build_celigo_app(args):
    if args.scenario:
        scenario = scenarios.load(args.scenario)
    elif args.preset:
        scenario = scenarios.PRESETS[args.preset]()
    else:
        scenario = scenarios.generate(**scenarios.parse_spec(args.generate), lazy=not args.save_scenario)
    if args.token:
        scenario["token"] = args.token
    if args.save_scenario:
        scenarios.save(scenario, args.save_scenario)
    return CeligoApp(scenario, page_size=args.page_size, flow_page_size=args.flow_page_size, job_seconds=args.job_seconds,
                     strict=args.strict, **common_switches(args))


# platform -> (help, add its arguments to a sub-parser, build its app from the parsed arguments)
PLATFORMS = {
    "celigo": ("Celigo integrator.io Flows API", add_celigo_arguments, build_celigo_app),
}
PLATFORMS["activepieces"] = ("Activepieces Flow Runs API", activepieces.add_cli_arguments, activepieces.app_from_args)
PLATFORMS["superai"] = ("SuperAI flow-execution API", superai.add_cli_arguments, superai.app_from_args)
PLATFORMS["cloudflare"] = ("Cloudflare Workflows instances API", cloudflare.add_cli_arguments, cloudflare.app_from_args)


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
