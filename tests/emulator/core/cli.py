"""Command-line switches every platform's emulator takes."""

import argparse
import json

from . import scenario_files


def _retry_after(value):
    return int(value) if value.isdigit() else value  # a non-integer header value is allowed on purpose


def parse_rate_window(value):
    """``REQUESTS/SECONDS``, e.g. ``1200/300`` (Cloudflare's API limit) or ``60/5`` (the same rate, scaled down)."""
    count, dummy, seconds = value.partition("/")
    try:
        window = [int(count), float(seconds)]
    except ValueError:
        window = None
    if window is None or window[0] < 1 or window[1] <= 0:
        raise argparse.ArgumentTypeError("use REQUESTS/SECONDS, e.g. 60/5, not %r" % value)
    return window


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
    parser.add_argument("--rate-window", type=parse_rate_window, metavar="REQUESTS/SECONDS",
                        help="answer 429 (Retry-After: seconds until the window frees) beyond REQUESTS API requests in any "
                             "SECONDS, e.g. 1200/300 like Cloudflare's API")
    parser.add_argument("--faults", metavar="JSON", help="fault rules as a JSON list")


def common_switches(args):
    return dict(latency_ms=args.latency_ms, rate_limit_every=args.rate_limit_every, retry_after=args.retry_after,
                rate_window=args.rate_window, faults=json.loads(args.faults) if args.faults else [])


def add_scenario_arguments(parser, example, contract):
    """``--scenario FILE`` or ``--generate SPEC`` (``example`` shows the settings), and ``--strict``; returns the
    mutually exclusive group so a platform can add another scenario source."""
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--scenario", metavar="FILE", help="scenario JSON file")
    source.add_argument("--generate", metavar="SPEC", default="",
                        help="generator settings, e.g. %s (default: the default scenario)" % example)
    parser.add_argument("--strict", action="store_true", help="validate traffic against %s (needs jsonschema)" % contract)
    return source


def scenario_from_args(args, build, **overrides):
    """The scenario the arguments name (``build(args)`` makes it when no file is given), with ``--token`` and the
    ``overrides`` that are set applied, written to ``--save-scenario``."""
    scenario = scenario_files.load(args.scenario) if args.scenario else build(args)
    overrides["token"] = args.token
    scenario.update((key, value) for key, value in overrides.items() if value)
    if args.save_scenario:
        scenario_files.save(scenario, args.save_scenario)
    return scenario
