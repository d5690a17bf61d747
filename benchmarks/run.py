"""Benchmarks of flowops.ipaas.flow_errors_retry against the Celigo emulator, with real ansible-playbook runs.

Every run starts its own emulator process (fresh state), runs one playbook, then reads the emulator's
request log and retry counts. See benchmarks/README.md; ``scripts/bench.sh`` is the way to run it.

    python benchmarks/run.py [--latency-ms 20] [CASE_OR_RUN ...]
"""

import argparse
import json
import os
import platform
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path

import scenario

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PLAYBOOKS = HERE / "playbooks"
TOKEN = "emulator-token"
JOB_SECONDS = 0.3  # the emulator's default time for a retry job to complete
SIZE_A = dict(instances=40, steps=2, errors=30)
SIZE_C = dict(instances=500, steps=2, errors=100)
# A million errors on 5,000 instances, listed in pages of 1,000: the per-key cost of one retry task at scale.
SIZE_E = dict(instances=5000, steps=2, errors=100)
# Small pages (7 errors, 3 flows) and one disabled instance: both playbooks must follow every page and cope with 422.
SIZE_PAGING = dict(instances=5, steps=2, errors=15, disabled=1)
# Cloudflare's API limit (1,200 requests per 5 minutes) scaled down 60x in time: the same 4 requests a second
# would make a run last minutes, so 60 requests per 5 s (12 a second), and a job of about 17 s at that rate.
RATE_WINDOW = (60, 5)
# Each run: one playbook against a fresh emulator. "group" is the case name a command line can pick.
RUNS = [
    {"id": "floor", "group": "floor", "tool": "floor", "title": "ansible-playbook floor: one ansible.builtin.ping task"},
    {"id": "a", "group": "a", "tool": "module", "size": SIZE_A, "title": "(a) list + retry all"},
    {"id": "a-uri", "group": "a", "tool": "uri", "size": SIZE_A, "title": "(a) uri playbook, serial", "baseline_for": "a"},
    {"id": "a-uri-pipelining", "group": "a", "tool": "uri", "size": SIZE_A, "env": {"ANSIBLE_PIPELINING": "True"},
     "title": "(a) uri playbook, serial, ANSIBLE_PIPELINING=True", "baseline_for": "a", "baseline_key": "pipelining"},
    {"id": "a-c1", "group": "a", "tool": "module", "size": SIZE_A, "concurrency": 1, "title": "(a) max_concurrency 1"},
    {"id": "a-c32", "group": "a", "tool": "module", "size": SIZE_A, "concurrency": 32, "title": "(a) max_concurrency 32"},
    {"id": "b", "group": "b", "tool": "module", "size": SIZE_A, "wait": True, "title": "(b) (a) + wait + reconcile"},
    {"id": "c", "group": "c", "tool": "module", "size": SIZE_C, "timeout": 600, "title": "(c) 100,000 errors, retry all"},
    {"id": "c-10", "group": "c", "tool": "module", "size": dict(SIZE_C, errors=10), "timeout": 600,
     "title": "(c) same flows, 10 errors a step"},
    {"id": "e", "group": "e", "tool": "module", "size": SIZE_E, "pages": (1000, 100), "timeout": 900,
     "title": "(e) 1,000,000 errors, retry all, pages of 1,000"},
    {"id": "d", "group": "d", "tool": "module", "size": SIZE_A, "throttle": (5, 1),
     "title": "(d) (a) + 429 Retry-After 1 s on every 5th request"},
    {"id": "pacing", "group": "pacing", "tool": "module", "size": SIZE_A, "rate_window": RATE_WINDOW,
     "max_requests_per_second": RATE_WINDOW[0] / float(RATE_WINDOW[1]),
     "title": "pacing: (a) against a 60 requests / 5 s window, max_requests_per_second 12"},
    {"id": "pacing-off", "group": "pacing", "tool": "module", "size": SIZE_A, "rate_window": RATE_WINDOW,
     "title": "pacing: the same without max_requests_per_second"},
    {"id": "paging-uri", "group": "paging", "tool": "uri", "size": SIZE_PAGING, "pages": (7, 3), "latency_ms": 0,
     "title": "paging check: uri playbook, 7-error pages, 3-flow pages", "baseline_for": "paging"},
    {"id": "paging", "group": "paging", "tool": "module", "size": SIZE_PAGING, "pages": (7, 3), "latency_ms": 0,
     "title": "paging check: module, same scenario"},
]
TOOLS = {"module": "flowops.ipaas.flow_errors_retry", "uri": "ansible.builtin.uri playbook", "floor": "ansible.builtin.ping"}


def parse_args(argv):
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", metavar="CASE",
                        help="cases (%s) or run ids (%s); default: all" % (
                            ", ".join(dict.fromkeys(run["group"] for run in RUNS)), ", ".join(run["id"] for run in RUNS)))
    parser.add_argument("--latency-ms", type=float, default=20.0, help="emulator latency per request (default 20)")
    parser.add_argument("--max-concurrency", type=int, default=8, help="max_concurrency of the default module runs (default 8)")
    parser.add_argument("--out", default=str(HERE / "results"), help="results directory (default benchmarks/results)")
    parser.add_argument("--results-md", help="also write the report here")
    parser.add_argument("--default-results-md", help="also write the report here when every case runs (no CASE given)")
    return parser.parse_args(argv)


def select_runs(names):
    """The runs named by case (group) or run id, in their fixed order; every run without names."""
    if not names:
        return list(RUNS)
    known = set(run["group"] for run in RUNS) | set(run["id"] for run in RUNS)
    unknown = [name for name in names if name not in known]
    if unknown:
        raise SystemExit("unknown case %s; known: %s" % (", ".join(unknown), ", ".join(sorted(known))))
    return [run for run in RUNS if run["group"] in names or run["id"] in names]


# ---- the emulator ------------------------------------------------------------------------------


class Emulator:
    """``python -m emulator celigo`` as a child process on 127.0.0.1, stopped by its pid.

    ``settings``: generate (the generator spec), latency_ms, page_size, flow_page_size, throttle (every, retry_after).
    """

    def __init__(self, workdir, settings):
        self.port_file = workdir / "emulator.port"
        self.log_path = workdir / "emulator.log"
        self.cmd = [sys.executable, "-m", "emulator", "celigo", "--generate", settings["generate"],
                    "--latency-ms", str(settings["latency_ms"]), "--page-size", str(settings["page_size"]),
                    "--flow-page-size", str(settings["flow_page_size"]), "--port-file", str(self.port_file)]
        if settings.get("throttle"):
            self.cmd += ["--rate-limit-every", str(settings["throttle"][0]), "--retry-after", str(settings["throttle"][1])]
        if settings.get("rate_window"):
            self.cmd += ["--rate-window", "%d/%g" % tuple(settings["rate_window"])]
        self.proc = None
        self.url = None

    def start(self, timeout=120):
        """Start it and wait for its port file (a 100,000-error scenario takes a few seconds to load)."""
        if self.port_file.exists():
            self.port_file.unlink()
        with open(self.log_path, "w", encoding="utf-8") as log:
            self.proc = subprocess.Popen(self.cmd, stdout=log, stderr=subprocess.STDOUT, cwd=str(ROOT))  # pylint: disable=consider-using-with
        deadline = time.monotonic() + timeout
        while not self.port_file.exists():
            if self.proc.poll() is not None:
                raise RuntimeError("the emulator exited: %s" % self.log_path.read_text(encoding="utf-8")[-2000:])
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the emulator did not start within %d s" % timeout)
            time.sleep(0.05)
        self.url = "http://127.0.0.1:%d" % int(self.port_file.read_text(encoding="utf-8"))
        return self

    def admin(self, method, path):
        """Call an admin endpoint (``/_emulator/...``: no auth, not logged); returns the parsed JSON body."""
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through a proxy
        request = urllib.request.Request(self.url + "/_emulator" + path, method=method)
        with opener.open(request, timeout=60) as response:
            body = response.read()
        return json.loads(body) if body else None

    def cpu_seconds(self):
        """User + system CPU time of the emulator process so far, from /proc."""
        try:
            fields = Path("/proc/%d/stat" % self.proc.pid).read_text(encoding="utf-8").rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / float(os.sysconf("SC_CLK_TCK"))

    def stop(self):
        """SIGTERM to the emulator's pid, then SIGKILL if it has not exited within 15 s."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


# ---- one run -----------------------------------------------------------------------------------


def playbook_command(run, info, concurrency, workdir):
    """(ansible-playbook argv, interpreter wrapped for peak RSS or not)."""
    if run["tool"] == "floor":
        playbook, extra, wrapped = PLAYBOOKS / "floor.yml", {}, True
    elif run["tool"] == "uri":
        # Not wrapped: the wrapper's own start-up (one more Python per task iteration) would slow the baseline.
        playbook, extra, wrapped = PLAYBOOKS / "uri_retry.yml", {"uri_abstract_flow_id": info["abstract_flow_id"]}, False
    else:
        playbook, wrapped = PLAYBOOKS / "module_retry.yml", True
        extra = {"module_abstract_flow_id": info["abstract_flow_id"], "module_wait": bool(run.get("wait")),
                 "module_max_concurrency": concurrency, "module_max_requests_per_second": run.get("max_requests_per_second", 0)}
    extra["ansible_python_interpreter"] = str(HERE / "peak_rss.py") if wrapped else sys.executable
    vars_file = workdir / "vars.json"
    vars_file.write_text(json.dumps(extra), encoding="utf-8")
    return ["ansible-playbook", "-i", "localhost,", str(playbook), "-e", "@%s" % vars_file], wrapped


def playbook_result(output, marker):
    """The JSON a playbook's last debug task printed after ``marker``."""
    for line in reversed(output.splitlines()):
        match = re.search(r'"msg": "(%s .*)"\s*$' % marker, line)
        if match:
            return json.loads(json.loads('"%s"' % match.group(1))[len(marker) + 1:])
    return None


def request_stats(log, retry_after=None):
    """Counts from the emulator's request log; for 429s, the shortest wait before the same request came again."""
    by_status = Counter(str(entry["status"]) for entry in log)
    by_kind = Counter()
    for entry in log:
        parts = entry["path"].strip("/").split("/")
        kind = {2: "flow_list" if entry["method"] == "GET" else "other", 4: "summary"}.get(len(parts))
        if len(parts) == 3 and parts[1] == "jobs":
            kind = "job_poll"
        elif len(parts) == 5:
            kind = "retry" if parts[4] == "retry" else "error_list"
        by_kind[kind or "other"] += 1
    stats = {"total": len(log), "by_status": dict(by_status), "by_kind": dict(by_kind),
             "excluding_429": len(log) - by_status.get("429", 0),
             "first_to_last_s": round(log[-1]["ts"] - log[0]["ts"], 3) if log else None}
    if by_status.get("429"):
        gaps = []
        for index, entry in enumerate(log):
            if entry["status"] != 429:
                continue
            same = (entry["method"], entry["path"], json.dumps(entry.get("query"), sort_keys=True))
            later = next((item for item in log[index + 1:]
                          if (item["method"], item["path"], json.dumps(item.get("query"), sort_keys=True)) == same), None)
            gaps.append(None if later is None else later["ts"] - entry["ts"])
        known = [gap for gap in gaps if gap is not None]
        stats["rate_limited"] = {"count": len(gaps), "resent": len(known), "min_wait_s": round(min(known), 3) if known else None,
                                 "retry_after_s": retry_after}
    return stats


def pacing_stats(requests, window):
    """429s and the rate achieved (requests let through, first to last) as a share of the window's rate."""
    allowed = window[0] / float(window[1])
    span = requests["first_to_last_s"] or 0
    achieved = requests["excluding_429"] / span if span else None
    return {"rate_limited": requests["by_status"].get("429", 0), "allowed_per_s": round(allowed, 3),
            "achieved_per_s": _fmt(achieved, "%.3f"), "achieved_pct": round(100.0 * achieved / allowed, 1) if achieved else None}


def key_check(info, retry_counts):
    """Every key that should be retried was retried exactly once, and no other key was."""
    expected = info["keys_to_retry"]
    once = sum(1 for key in expected if retry_counts.get(key) == 1)
    return {"expected": len(expected), "exactly_once": once, "missing": sum(1 for key in expected if key not in retry_counts),
            "more_than_once": sum(1 for count in retry_counts.values() if count > 1),
            "unexpected": sum(1 for key in retry_counts if key not in expected), "ok": once == len(expected) == len(retry_counts)}


def settings_for(run, args):
    """The emulator and module settings of one run."""
    pages = run.get("pages", (scenario.EMULATOR_PAGE_SIZE, scenario.EMULATOR_FLOW_PAGE_SIZE))
    return {
        "generate": scenario.spec(run.get("size", {"instances": 1, "steps": 1, "errors": 1})),
        "latency_ms": run.get("latency_ms", args.latency_ms),
        "concurrency": run.get("concurrency", args.max_concurrency) if run["tool"] == "module" else 1,
        "page_size": pages[0],
        "flow_page_size": pages[1],
        "throttle": run.get("throttle"),
        "rate_window": run.get("rate_window"),
        "wait": bool(run.get("wait")),
    }


def new_record(run, settings, info):
    """The result record of one run before it runs: what it is and its lower bound."""
    size = run.get("size", {})
    record = {
        "id": run["id"], "case": run["group"], "title": run["title"], "tool": TOOLS[run["tool"]],
        "scenario": settings["generate"] if size else None, "instances": size.get("instances"), "steps": size.get("steps"),
        "errors_per_step": size.get("errors"), "errors": info["errors"], "keys_to_retry": len(info["keys_to_retry"]),
        "latency_ms": settings["latency_ms"], "max_concurrency": settings["concurrency"], "page_size": settings["page_size"],
        "flow_page_size": settings["flow_page_size"], "wait": settings["wait"],
        "rate_limit_every": settings["throttle"][0] if settings["throttle"] else 0,
        "retry_after": settings["throttle"][1] if settings["throttle"] else None,
        "rate_window": list(settings["rate_window"]) if settings["rate_window"] else None,
        "max_requests_per_second": run.get("max_requests_per_second", 0),
    }
    if size:
        bound = scenario.lower_bound(info, wait=settings["wait"])
        record["lower_bound"] = bound
        record["lower_bound_s"] = round(scenario.lower_bound_seconds(
            bound, settings["concurrency"], settings["latency_ms"], settings["throttle"],
            JOB_SECONDS if settings["wait"] else 0.0), 3)
    return record


def execute(run, args, out):
    """Run one benchmark against a fresh emulator; returns its result record."""
    workdir = out / "runs" / run["id"]
    workdir.mkdir(parents=True, exist_ok=True)
    for stale in workdir.iterdir():
        stale.unlink()
    settings = settings_for(run, args)
    info = scenario.describe(settings["generate"], settings["page_size"], settings["flow_page_size"])
    record = new_record(run, settings, info)
    record["loadavg_before"] = _loadavg()
    emulator = Emulator(workdir, settings).start()
    try:
        record.update(play(run, info, settings["concurrency"], workdir, emulator))
        if "lower_bound" in record:
            log = emulator.admin("GET", "/requests")["requests"]
            with open(workdir / "requests.jsonl", "w", encoding="utf-8") as handle:  # without bodies: 100,000 keys are big
                handle.writelines(json.dumps(dict((k, v) for k, v in entry.items() if k != "body")) + "\n" for entry in log)
            record["requests"] = request_stats(log, record["retry_after"])
            record["requests_vs_lower_bound"] = round(record["requests"]["excluding_429"] / float(record["lower_bound"]["requests"]), 3)
            record["keys"] = key_check(info, emulator.admin("GET", "/state")["retry_counts"])
            if record["rate_window"]:
                record["pacing"] = pacing_stats(record["requests"], record["rate_window"])
        record["emulator_cpu_s"] = emulator.cpu_seconds()
    finally:
        emulator.stop()
    return record


def _loadavg():
    """The 1-minute load average: other work on the machine shows here (2 cores: 2.0 is a full machine)."""
    try:
        return float(Path("/proc/loadavg").read_text(encoding="utf-8").split()[0])
    except (OSError, ValueError, IndexError):
        return None


def module_usage(rss_log, module):
    """Peak RSS (MB), wall and CPU seconds of the module's process, from peak_rss.py's log."""
    if not rss_log.exists():
        return {}
    usages = [json.loads(line) for line in rss_log.read_text(encoding="utf-8").splitlines() if module in line]
    if not usages:
        return {}
    return {"module_peak_rss_mb": round(max(u["maxrss_kb"] for u in usages) / 1024.0, 1),
            "module_wall_s": max(u["wall_s"] for u in usages), "module_cpu_s": max(u["cpu_s"] for u in usages)}


def run_to_end(cmd, timeout, **popen_args):
    """``subprocess.run(cmd, timeout=timeout)`` without its polling: with a timeout, ``Popen.wait`` looks every
    50 ms at most, which put every wall measured here in 0.05 s steps (0.716 or 0.766 s for the floor). The wait
    blocks until the process ends; a timer kills it at ``timeout`` (``subprocess.TimeoutExpired``)."""
    expired = threading.Event()

    def kill():
        expired.set()
        proc.kill()

    with subprocess.Popen(cmd, **popen_args) as proc:  # pylint: disable=consider-using-with
        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            proc.wait()
        finally:
            timer.cancel()
    if expired.is_set():
        raise subprocess.TimeoutExpired(cmd, timeout)
    return proc


def play(run, info, concurrency, workdir, emulator):
    """Run the playbook of one benchmark; returns wall time, rc, the playbook's result and the module's peak RSS."""
    cmd, wrapped = playbook_command(run, info, concurrency, workdir)
    rss_log = workdir / "rss.jsonl"
    env = dict(os.environ, FLOWOPS_API_URL=emulator.url, FLOWOPS_API_TOKEN=TOKEN, FLOWOPS_BENCH_RSS_LOG=str(rss_log),
               FLOWOPS_BENCH_PYTHON=sys.executable, ANSIBLE_NOCOLOR="1", NO_PROXY="127.0.0.1,localhost",
               no_proxy="127.0.0.1,localhost")
    env.pop("FLOWOPS_PLATFORM", None)
    env.update(run.get("env") or {})
    started = time.monotonic()
    with open(workdir / "playbook.log", "w", encoding="utf-8") as output:
        proc = run_to_end(cmd, run.get("timeout", 900), stdout=output, stderr=subprocess.STDOUT, env=env, cwd=str(workdir))
    result = {"wall_s": round(time.monotonic() - started, 3), "rc": proc.returncode,
              "result": playbook_result((workdir / "playbook.log").read_text(encoding="utf-8"),
                                        "URI_RESULT") if run["tool"] == "uri" else None}
    if wrapped:
        result.update(module_usage(rss_log, "ping" if run["tool"] == "floor" else "flow_errors_retry"))
    if proc.returncode:
        result["error"] = "ansible-playbook exited %d; see %s" % (proc.returncode, workdir / "playbook.log")
    return result


# ---- report ------------------------------------------------------------------------------------


def add_comparisons(records):
    """Speed-up of a module run over the uri playbook runs of the same invocation that name it as ``baseline_for``,
    and each module run's ratio to its limit: the ``floor`` run (Ansible's own cost of a one-task playbook) plus the
    lower-bound requests at the run's fan-out (LB time)."""
    by_id = dict((record["id"], record) for record in records)
    floor = by_id.get("floor")
    for record in records:
        if floor and not floor.get("rc") and record["tool"] == TOOLS["module"] and record.get("lower_bound_s") is not None \
                and not record.get("rc"):
            record["limit_s"] = round(floor["wall_s"] + record["lower_bound_s"], 3)
            record["ratio_to_limit"] = round(record["wall_s"] / record["limit_s"], 2)
    for record in records:
        run = next(item for item in RUNS if item["id"] == record["id"])
        target = by_id.get(run.get("baseline_for"))
        if target and not record.get("rc") and not target.get("rc"):
            suffix = "_" + run["baseline_key"] if run.get("baseline_key") else ""
            target["uri%s_wall_s" % suffix] = record["wall_s"]
            target["speedup_vs_uri%s" % suffix] = round(record["wall_s"] / target["wall_s"], 1)


def _fmt(value, pattern="%s", missing="-"):
    return missing if value is None else pattern % value


def _check(record):
    if record.get("rc"):
        return "FAILED (rc %d)" % record["rc"]
    keys = record.get("keys")
    if not keys:
        return "ok"
    text = "%d/%d keys once" % (keys["exactly_once"], keys["expected"])
    if not keys["ok"]:
        text += " (%d missing, %d twice+, %d unexpected)" % (keys["missing"], keys["more_than_once"], keys["unexpected"])
    limited = record["requests"].get("rate_limited")
    if limited:
        text += "; %d x 429, min wait %s s" % (limited["count"], _fmt(limited["min_wait_s"]))
    pacing = record.get("pacing")
    if pacing:
        text += "; %s req/s = %s %% of the window's %s req/s" % (
            pacing["achieved_per_s"], _fmt(pacing["achieved_pct"]), _fmt(pacing["allowed_per_s"], "%g"))
    return text


def table(records):
    """The Markdown table of the runs."""
    lines = ["| run | what | tool | errors | conc. | wall s | requests | lower bound | req/LB | LB time s | ÷ limit | peak RSS MB "
             "| speed-up vs uri | check |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for record in records:
        requests = record.get("requests") or {}
        total = requests.get("total")
        shown = _fmt(total)
        if requests.get("by_status", {}).get("429"):
            shown = "%d (+%d x 429)" % (requests["excluding_429"], requests["by_status"]["429"])
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            record["id"], record["title"], record["tool"], _thousands(record["errors"]) if record.get("scenario") else "-",
            record["max_concurrency"] if record["tool"] == TOOLS["module"] else "serial" if record.get("scenario") else "-",
            _fmt(record.get("wall_s"), "%.2f"), shown, _fmt((record.get("lower_bound") or {}).get("requests")),
            _fmt(record.get("requests_vs_lower_bound"), "%.3f"), _fmt(record.get("lower_bound_s"), "%.2f"),
            _fmt(record.get("ratio_to_limit"), "%.2fx"), _fmt(record.get("module_peak_rss_mb"), "%.1f"), _speedup(record),
            _check(record)))
    return "\n".join(lines)


def _speedup(record):
    text = _fmt(record.get("speedup_vs_uri"), "%.1fx")
    if record.get("speedup_vs_uri_pipelining"):
        text += " (%.1fx vs pipelining)" % record["speedup_vs_uri_pipelining"]
    return text


def _thousands(number):
    return "{:,}".format(number)


def verdicts(records):
    """One line per target: measured value and met / not met (or not run)."""
    by_id = dict((record["id"], record) for record in records)
    lines = []

    def say(name, ok, text):
        lines.append("- %s: **%s** — %s" % (name, "not run" if ok is None else "met" if ok else "NOT met", text))

    a, uri = by_id.get("a"), by_id.get("a-uri")
    if a and uri and a.get("speedup_vs_uri"):
        text = "%.1fx (module %.2f s, uri playbook %.2f s, same run)" % (a["speedup_vs_uri"], a["wall_s"], uri["wall_s"])
        if a.get("speedup_vs_uri_pipelining"):
            text += "; against the uri playbook with ANSIBLE_PIPELINING=True (%.2f s): %.1fx" % (
                a["uri_pipelining_wall_s"], a["speedup_vs_uri_pipelining"])
        say("(a) ≥ 30x faster than the uri playbook", a["speedup_vs_uri"] >= 30, text)
    else:
        say("(a) ≥ 30x faster than the uri playbook", None, "needs runs a and a-uri")
    if a and a.get("requests"):
        say("(a) requests ≤ 1.05 x lower bound", a["requests_vs_lower_bound"] <= 1.05,
            "%d requests / %d = %.3f" % (a["requests"]["excluding_429"], a["lower_bound"]["requests"], a["requests_vs_lower_bound"]))
    else:
        say("(a) requests ≤ 1.05 x lower bound", None, "needs run a")
    if a and a.get("ratio_to_limit"):
        say("(a) ≤ 1.3x the limit (floor + lower-bound time)", a["ratio_to_limit"] <= 1.3,
            "%.2f s / (floor %.2f s + LB time %.2f s) = %.2fx"
            % (a["wall_s"], by_id["floor"]["wall_s"], a["lower_bound_s"], a["ratio_to_limit"]))
    else:
        say("(a) ≤ 1.3x the limit", None, "needs runs floor and a")
    e = by_id.get("e")
    if e and e.get("wall_s") is not None and e.get("lower_bound_s"):
        rss = e.get("module_peak_rss_mb")
        say("(e) 1,000,000 errors in ≤ 2x the lower-bound time, peak RSS < 150 MB, every key once",
            e["wall_s"] <= 2 * e["lower_bound_s"] and not e.get("rc") and rss is not None and rss < 150
            and (e.get("keys") or {}).get("ok", False),
            "%.1f s against %.1f s (%.2fx); %s MB; %s"
            % (e["wall_s"], e["lower_bound_s"], e["wall_s"] / e["lower_bound_s"], _fmt(rss, "%.1f"), _check(e)))
    else:
        say("(e) 1,000,000 errors in ≤ 2x the lower-bound time", None, "needs run e")
    c, small = by_id.get("c"), by_id.get("c-10")
    if c and c.get("wall_s") is not None:
        say("(c) under 60 s", c["wall_s"] < 60 and not c.get("rc"), "%.2f s" % c["wall_s"])
        rss = c.get("module_peak_rss_mb")
        say("(c) peak memory under 300 MB", None if rss is None else rss < 300, "%s MB" % _fmt(rss, "%.1f"))
        if small and small.get("module_peak_rss_mb") and rss:
            per_1000 = (rss - small["module_peak_rss_mb"]) / ((c["errors"] - small["errors"]) / 1000.0)
            say("(c) memory does not grow with the number of errors (flat: under 5 MB more for 10x the errors)",
                rss - small["module_peak_rss_mb"] < 5,
                "%.1f MB at %s errors vs %.1f MB at %s errors (same flows, steps and requests): %+.2f MB per 1,000 errors" % (
                    rss, _thousands(c["errors"]), small["module_peak_rss_mb"], _thousands(small["errors"]), per_1000))
    else:
        say("(c) under 60 s, under 300 MB", None, "needs run c")
    d = by_id.get("d")
    if d and d.get("keys"):
        limited = d["requests"].get("rate_limited") or {}
        honoured = limited.get("min_wait_s") is not None and limited["min_wait_s"] >= d["retry_after"]
        say("(d) every key retried exactly once", d["keys"]["ok"] and not d.get("rc"), _check(d))
        say("(d) Retry-After honoured", honoured and limited.get("resent") == limited.get("count"),
            "%s of %s rate-limited requests sent again, the soonest %s s after its 429 (Retry-After: %s)" % (
                limited.get("resent"), limited.get("count"), _fmt(limited.get("min_wait_s")), d["retry_after"]))
    else:
        say("(d) every key retried exactly once, Retry-After honoured", None, "needs run d")
    paced, unpaced = by_id.get("pacing"), by_id.get("pacing-off")
    if paced and paced.get("pacing"):
        stats = paced["pacing"]
        text = "%d x 429 at %s %% of the window's rate (%s of %s requests a second)" % (
            stats["rate_limited"], _fmt(stats["achieved_pct"]), stats["achieved_per_s"], _fmt(stats["allowed_per_s"], "%g"))
        if unpaced and unpaced.get("pacing"):
            text += "; without max_requests_per_second: %d x 429 at %s %%" % (
                unpaced["pacing"]["rate_limited"], _fmt(unpaced["pacing"]["achieved_pct"]))
        say("(pacing) zero or near-zero 429s (at most 2) at ≥ 90 % of the window's rate",
            stats["rate_limited"] <= 2 and (stats["achieved_pct"] or 0) >= 90 and paced["keys"]["ok"], text)
    else:
        say("(pacing) near-zero 429s at ≥ 90 % of the window's rate", None, "needs run pacing")
    return lines


def machine():
    """What the numbers were measured on."""
    try:
        model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines()
                      if line.startswith("model name")), platform.processor())
    except OSError:
        model = platform.processor()
    versions = subprocess.run(["ansible-playbook", "--version"], capture_output=True, text=True, check=False).stdout.splitlines()
    return {"cores": os.cpu_count(), "cpu": model, "python": platform.python_version(), "system": platform.platform(),
            "ansible": versions[0] if versions else None}


def report(records, meta):
    """RESULTS.md / latest.md: the table, the targets and how it was measured."""
    lines = ["# Benchmark results", "",
             "Measured by `scripts/bench.sh` (benchmarks/run.py) on %s; machine: %d cores (%s), Python %s, %s." % (
                 meta["date"], meta["machine"]["cores"], meta["machine"]["cpu"], meta["machine"]["python"],
                 meta["machine"]["ansible"]),
             "Emulator latency %s ms per request; module runs use `max_concurrency` %s unless the row says otherwise. "
             "Runs in this report: %s." % (meta["latency_ms"], meta["max_concurrency"], ", ".join(r["id"] for r in records)),
             "1-minute load average before each run: %s (other work on the machine slows every row alike; compare rows of "
             "one run)." % ", ".join(_fmt(load, "%.1f") for load in meta["loadavg_before_each_run"]),
             "", table(records), "", "## Targets", ""] + verdicts(records)
    lines += ["", "## How it was measured", "", METHOD.strip(), ""]
    return "\n".join(lines)


METHOD = """
- Every run starts its own emulator process (`python -m emulator celigo --generate …`, a fresh state) on
  127.0.0.1 and runs one real `ansible-playbook` against it; the emulator sleeps the latency in each request's
  handler thread, so concurrent requests overlap as they would against a remote API.
- **wall s**: the whole `ansible-playbook` process, start-up included (the `floor` row is that fixed cost).
- **requests**: entries in the emulator's request log (`GET /_emulator/requests`; admin calls are not logged).
  With 429s, the count without them and the 429s in brackets.
- **lower bound**: the fewest requests the job needs: the pages of the instance list, one summary per enabled
  instance, every listing page of every step with errors, one retry per 1000 keys (with `wait`: one poll per job
  and one fresh listing per retried step). **LB time**: those requests at the run's concurrency (1 for the
  serial uri playbook) and latency, with no CPU time, never shorter than the longest chain of dependent requests;
  with 429s, each rejected request also holds its slot for Retry-After.
- **peak RSS**: the module process's peak resident set (`ru_maxrss` from `os.wait4`), taken by
  `benchmarks/peak_rss.py`, set as `ansible_python_interpreter`: it starts the real Python on the
  AnsiballZ file and waits for it. AnsiballZ runs the module in that same process. The uri baseline is not
  wrapped (the wrapper's start-up in each of its hundreds of task iterations would slow it), so it has no RSS.
- **speed-up**: the uri playbook's wall time over the module's, both measured in the same invocation on the same
  scenario and latency. The uri playbook runs on (a) only: at its measured rate (c) would take hours.
- **check**: the emulator's `retry_counts` against the generator's keys: every retryable key of every enabled
  instance retried exactly once and no other key. For 429 runs: every rate-limited request was sent again, and the
  soonest resend came that many seconds after its 429 (both request-log timestamps).
- **pacing**: the emulator enforces a sliding window (`--rate-window 60/5`); the check column gives the 429s and the
  requests let through per second from the first to the last request, as a share of the window's 12 a second.
"""


def _terminate(signum, _frame):
    raise SystemExit("stopped by signal %d" % signum)


def main(argv=None):
    """Run the selected benchmarks, write latest.json / latest.md (and RESULTS.md), print the table and the targets."""
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)  # so a time-out still stops the emulator and ansible-playbook
    results_md = args.results_md or (args.default_results_md if not args.cases else None)
    runs = select_runs(args.cases)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    records = []
    for run in runs:
        print("running %-10s %s ..." % (run["id"], run["title"]), end=" ", flush=True)
        record = execute(run, args, out)
        records.append(record)
        print("%.2f s%s" % (record["wall_s"], "" if not record.get("rc") else "  FAILED: " + record["error"]), flush=True)
    add_comparisons(records)
    meta = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": machine(), "latency_ms": args.latency_ms,
            "loadavg_before_each_run": [record["loadavg_before"] for record in records],
            "max_concurrency": args.max_concurrency, "runs": [r["id"] for r in records]}
    (out / "latest.json").write_text(json.dumps({"meta": meta, "results": records}, indent=2, default=str) + "\n",
                                     encoding="utf-8")
    text = report(records, meta)
    (out / "latest.md").write_text(text, encoding="utf-8")
    if results_md:
        Path(results_md).write_text(text, encoding="utf-8")
    print()
    print(table(records))
    print()
    print("\n".join(verdicts(records)))
    print("\nwritten: %s%s" % (out / "latest.json", ", " + results_md if results_md else ""))
    return 1 if any(record.get("rc") for record in records) else 0


if __name__ == "__main__":
    sys.exit(main())
