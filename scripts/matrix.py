"""The compatibility matrix (scripts/matrix.sh runs it; docs/testing.md, "Compatibility matrix").

For every ansible-core minor from the oldest `requires_ansible` allows to the newest on the package index (latest
patch of each), and every Python on this machine that the release supports (its wheel's Requires-Python and
classifiers): a venv of its own, cached under ~/.cache/flowops-ipaas/matrix/<core>-py<X.Y>; the collection built with
that ansible-galaxy and installed from the tarball into an empty folder; `ansible-test units --requirements` on the
installed copy; a smoke run of playbooks/incident_recovery.yml from the installed copy against its emulator
(scripts/matrix_smoke.py). Results go to .build/matrix/results.json (results-ci.json with --ci); --update-readme
renders the full run's table into README.md between the tested-with markers.
"""

import argparse
import datetime
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import zipfile
import xml.etree.ElementTree as ET
from pathlib import Path

import yaml
from packaging.specifiers import SpecifierSet
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "scripts"
BUILD = ROOT / ".build" / "matrix"
CACHE = Path(os.environ.get("FLOWOPS_TEST_CACHE") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
             / "flowops-ipaas") / "matrix"
PYTHONS = ("3.11", "3.12", "3.13")
START, END = "<!-- tested-with:start -->", "<!-- tested-with:end -->"
# Environment the steps must not inherit: the checkout's collection, its venv and its Ansible settings.
DROPPED = ("PYTHONPATH", "VIRTUAL_ENV", "ANSIBLE_COLLECTIONS_PATH", "ANSIBLE_COLLECTIONS_PATHS", "ANSIBLE_CONFIG",
           "ANSIBLE_HOME", "ANSIBLE_LOCAL_TEMP", "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH", "PYTEST_ADDOPTS", "PYTEST_PLUGINS")


def log(message):
    print(message, flush=True)


# ---- what to test --------------------------------------------------------------------------------------------------

def find_pythons(versions=PYTHONS):
    """{"3.11": "/path/python3.11", ...}: each version found on PATH or under pyenv that really runs."""
    found = {}
    for version in versions:
        candidates = [shutil.which("python" + version)] + sorted(glob.glob(os.path.expanduser(
            "~/.pyenv/versions/%s.*/bin/python%s" % (version, version))), key=lambda p: Version(p.split("/")[-3]), reverse=True)
        for candidate in filter(None, candidates):
            probe = subprocess.run([candidate, "-c", "import sys, venv; print('%d.%d' % sys.version_info[:2], sys.executable)"],
                                   capture_output=True, text=True, check=False)
            if probe.returncode == 0 and probe.stdout.split()[0] == version:
                found[version] = probe.stdout.split()[1]
                break
    return found


def minimum_core():
    """The lowest ansible-core meta/runtime.yml's requires_ansible admits, as (major, minor)."""
    runtime = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text())
    match = re.search(r">=\s*(\d+)\.(\d+)", runtime["requires_ansible"])
    return int(match.group(1)), int(match.group(2))


def core_releases(python):
    """The latest patch of every ansible-core minor from minimum_core() on, from the index (asked with ``python``,
    the newest here, so releases needing a newer Python than the others are listed too)."""
    listing = subprocess.run([python, "-m", "pip", "index", "versions", "ansible-core"], capture_output=True, text=True,
                             check=True).stdout
    versions = [Version(v) for v in re.search(r"Available versions: (.*)", listing).group(1).split(", ")]
    latest = {}
    for version in versions:
        if not version.is_prerelease and (version.major, version.minor) >= minimum_core():
            key = (version.major, version.minor)
            latest[key] = max(latest.get(key, version), version)
    return [str(latest[key]) for key in sorted(latest)]


def supported_pythons(core, python):
    """The Python versions this ansible-core release declares (Requires-Python and its classifiers)."""
    wheels = CACHE / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    wheel = wheels / ("ansible_core-%s-py3-none-any.whl" % core)
    if not wheel.exists():
        subprocess.run([python, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:", "-d", str(wheels),
                        "ansible-core==%s" % core], check=True)
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = archive.read(name).decode("utf-8")
    requires = SpecifierSet(re.search(r"^Requires-Python: (.*)$", metadata, re.M).group(1))
    classified = set(re.findall(r"^Classifier: Programming Language :: Python :: (3\.\d+)$", metadata, re.M))
    return sorted((v for v in classified if requires.contains(v + ".0")), key=Version), str(requires)


def plan(pythons, ci):
    newest = pythons[max(pythons, key=Version)]
    combos, untested = [], []
    for core in core_releases(newest):
        declared, requires = supported_pythons(core, newest)
        here = [v for v in declared if v in pythons and v in PYTHONS]
        for version in declared:
            if version in here:
                continue
            if version in pythons or find_pythons([version]):
                why = "the matrix runs Python %s to %s, the versions scripts/bootstrap.sh accepts" % (PYTHONS[0], PYTHONS[-1])
            else:
                why = "no Python %s on this machine" % version
            untested.append({"ansible_core": core, "python": version, "why": why})
        if not here:
            untested.append({"ansible_core": core, "python": requires, "why": "none of its Pythons is on this machine"})
        combos.extend({"ansible_core": core, "python": version} for version in here)
    if ci:  # the oldest ansible-core on its oldest Python, the newest on its newest
        cores = sorted({c["ansible_core"] for c in combos}, key=Version)
        combos = [[c for c in combos if c["ansible_core"] == cores[0]][0], [c for c in combos if c["ansible_core"] == cores[-1]][-1]]
    return combos, untested


def snapshot(source):
    """A copy of the files git would commit (tracked, and untracked not ignored), so every combination builds the
    same tree even while the checkout changes; a folder outside git is built as it is."""
    listing = subprocess.run(["git", "-C", str(source), "ls-files", "-z", "-co", "--exclude-standard"],
                             capture_output=True, check=False)
    if listing.returncode:
        return source, None
    dest = BUILD / "source"
    shutil.rmtree(dest, ignore_errors=True)
    for name in filter(None, listing.stdout.decode("utf-8").split("\0")):
        path = source / name
        if path.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest / name)
    head = subprocess.run(["git", "-C", str(source), "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                          check=False).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(source), "status", "--porcelain"], capture_output=True, text=True,
                           check=False).stdout.strip()
    return dest, head + ("+changes" if dirty else "")


# ---- one combination -----------------------------------------------------------------------------------------------

class Step:
    """Runs the commands of one combination with their output in its log file."""

    def __init__(self, log_path, env):
        self.log_path = log_path
        self.env = env
        log_path.write_text("")

    def run(self, title, command, cwd=None, timeout=1800):
        with open(self.log_path, "a", encoding="utf-8") as handle:
            handle.write("\n$ %s\n" % " ".join(str(part) for part in command))
            handle.flush()
            result = subprocess.run([str(part) for part in command], cwd=cwd, env=self.env, stdout=handle,
                                    stderr=subprocess.STDOUT, timeout=timeout, check=False)
        if result.returncode:
            raise StepFailed("%s failed (exit %d), see %s" % (title, result.returncode, self.log_path.relative_to(ROOT)))


class StepFailed(Exception):
    pass


def ensure_venv(core, version, python, step):
    """The combination's venv, kept in the cache while ansible-core, the Python build and the unit test requirements
    stay the same."""
    venv = CACHE / ("%s-py%s" % (core, version))
    stamp_text = "\n".join([core, subprocess.run([python, "-VV"], capture_output=True, text=True, check=True).stdout.strip(),
                            hashlib.sha256((ROOT / "tests" / "unit" / "requirements.txt").read_bytes()).hexdigest()])
    stamp = venv / ".matrix-stamp"
    if stamp.exists() and stamp.read_text() == stamp_text:
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    step.run("venv", [python, "-m", "venv", venv])
    step.run("pip install ansible-core", [venv / "bin" / "python", "-m", "pip", "install", "--quiet", "ansible-core==%s" % core])
    stamp.write_text(stamp_text)
    return venv


def unit_counts(junit_dir):
    totals = dict(tests=0, failures=0, errors=0, skipped=0)
    for path in glob.glob(os.path.join(junit_dir, "*-units.xml")):
        for suite in ET.parse(path).getroot().iter("testsuite"):
            for key in totals:
                totals[key] += int(suite.get(key, 0))
    return totals


def run_combination(combo, python, source):
    core, version = combo["ansible_core"], combo["python"]
    label = "%s-py%s" % (core, version)
    log_path = BUILD / "logs" / ("%s.log" % label)
    work = Path(tempfile.mkdtemp(prefix="flowops-matrix-%s-" % label))  # outside any git checkout: ansible-test
    env = {key: value for key, value in os.environ.items() if key not in DROPPED}
    step = Step(log_path, env)
    result = dict(combo, status="fail", log=str(log_path.relative_to(ROOT)))
    started = time.monotonic()
    try:
        venv = ensure_venv(core, version, python, step)
        bin_dir = venv / "bin"
        env.update(PATH="%s:%s" % (bin_dir, os.environ.get("PATH", "")), ANSIBLE_CONFIG=str(work / "ansible.cfg"),
                   ANSIBLE_HOME=str(work / "ansible-home"), ANSIBLE_LOCAL_TEMP=str(work / "tmp"),
                   # ansible-test keeps its state under ~/.ansible/test: a HOME of this run's own
                   HOME=str(work / "home"))
        (work / "ansible.cfg").write_text("[defaults]\n")
        (work / "home").mkdir()
        result["python_full"] = subprocess.run([bin_dir / "python", "-c", "import platform; print(platform.python_version())"],
                                               capture_output=True, text=True, check=True).stdout.strip()
        step.run("ansible-galaxy collection build", [bin_dir / "ansible-galaxy", "collection", "build", "--output-path",
                                                     work / "dist", source])
        tarball = next((work / "dist").glob("*.tar.gz"))
        result["tarball"] = tarball.name
        step.run("ansible-galaxy collection install", [bin_dir / "ansible-galaxy", "collection", "install", "-p",
                                                       work / "collections", tarball])
        installed = work / "collections" / "ansible_collections" / "flowops" / "ipaas"
        # tests/config.yml declares the modules' Python: each ansible-core must compile module_utils for it and only it.
        step.run("ansible-test sanity --test compile", [bin_dir / "ansible-test", "sanity", "--test", "compile", "--python",
                                                        version, "--color", "no"], cwd=installed)
        try:
            step.run("ansible-test units", [bin_dir / "ansible-test", "units", "--python", version, "--requirements",
                                            "--color", "no"], cwd=installed)
        finally:
            result["units"] = unit_counts(installed / "tests" / "output" / "junit")
        if not result["units"]["tests"]:
            raise StepFailed("ansible-test units ran no test")
        (work / "smoke").mkdir()
        # The user's HOME, as a user runs playbooks: async tasks keep their job files under ~/.ansible_async.
        smoke = subprocess.run([bin_dir / "python", HERE / "matrix_smoke.py", work / "collections", work / "smoke"],
                               env=dict(env, HOME=os.environ["HOME"]), capture_output=True, text=True, timeout=900,
                               check=False)
        with open(log_path, "a", encoding="utf-8") as handle:
            handle.write("\n$ matrix_smoke.py\n" + smoke.stderr + smoke.stdout)
        lines = smoke.stdout.strip().splitlines()
        result["smoke"] = json.loads(lines[-1]) if lines else {"ok": False, "failed": "no result (exit %d)" % smoke.returncode}
        if smoke.returncode or not result["smoke"].get("ok"):
            raise StepFailed("smoke run: %s" % result["smoke"].get("failed", "exit %d" % smoke.returncode))
        result["status"] = "pass"
    except (StepFailed, subprocess.SubprocessError, OSError, StopIteration) as exc:
        result["problem"] = str(exc) or type(exc).__name__
    finally:
        result["seconds"] = round(time.monotonic() - started)
        shutil.rmtree(work, ignore_errors=True)
    return result


# ---- output ---------------------------------------------------------------------------------------------------------

def describe(result):
    units = result.get("units")
    unit_text = "-"
    if units:
        unit_text = "%d passed" % (units["tests"] - units["failures"] - units["errors"] - units["skipped"])
        unit_text += ", %d failed" % (units["failures"] + units["errors"]) if units["failures"] or units["errors"] else ""
        unit_text += ", %d skipped" % units["skipped"] if units["skipped"] else ""
    smoke = result.get("smoke") or {}
    smoke_text = smoke.get("failed") or "-"
    if smoke.get("ok"):
        smoke_text = "passed (%(retried)d retried, %(resolved)d resolved; rerun unchanged)" % smoke
    return unit_text, smoke_text


def print_table(results):
    log("\n%-13s %-8s %-6s %-32s %-10s %s" % ("ansible-core", "Python", "result", "ansible-test units", "smoke", "time"))
    for result in results:
        unit_text, smoke_text = describe(result)
        problem = "  " + result["problem"] if result.get("problem") else ""
        smoke = "ok" if (result.get("smoke") or {}).get("ok") else "-" if smoke_text == "-" else "FAIL"
        row = (result["ansible_core"], result.get("python_full", result["python"]), result["status"].upper(), unit_text,
               smoke, result["seconds"], problem)
        log("%-13s %-8s %-6s %-32s %-10s %ds%s" % row)


def readme_block(report):
    lines = [START, "", textwrap.fill(
             "Generated by `scripts/matrix.sh --update-readme` from its last full run (%s, collection %s%s, %d s): "
             "each row is its own venv; the collection is built with that `ansible-galaxy`, installed from the "
             "tarball, `ansible-test units` runs on the installed copy and `playbooks/incident_recovery.yml` runs "
             "from it against the emulator (retry, reconcile, resolve; then a second run that changes nothing). "
             "The skipped unit tests are the checks that need a checkout (`galaxy.yml`, to build the tarball) or the "
             "cached awx.awx; the test command runs them, and fails on any skip."
             % (report["finished"][:10], report["collection_version"],
                " at commit %s" % report["commit"] if report.get("commit") else "", report["seconds"]), 115), "",
             "| ansible-core | Python | Result | `ansible-test units` | Smoke playbook |",
             "|---|---|---|---|---|"]
    for result in report["results"]:
        unit_text, smoke_text = describe(result)
        status = "pass" if result["status"] == "pass" else "**fail**"
        python = result.get("python_full", result["python"])
        lines.append("| %s | %s | %s | %s | %s |" % (result["ansible_core"], python, status, unit_text, smoke_text))
    if report["untested"]:
        reasons = {}
        for item in report["untested"]:
            reasons.setdefault((item["python"], item["why"]), []).append(item["ansible_core"])
        untested = ["Python %s with ansible-core %s (%s)" % (python, ", ".join(cores), why)
                    for (python, why), cores in sorted(reasons.items())]
        lines += ["", textwrap.fill("Declared by ansible-core but not tested here: %s." % "; ".join(untested), 115)]
    lines += ["", END]
    return "\n".join(lines)


def update_readme(report):
    readme = ROOT / "README.md"
    text = readme.read_text()
    block = readme_block(report)
    if START in text and END in text:
        text = text[:text.index(START)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n## Tested with\n\n" + block + "\n"
    readme.write_text(text)
    log("README.md: tested-with table written from %s" % (BUILD / "results.json").relative_to(ROOT))


def main():
    parser = argparse.ArgumentParser(prog="scripts/matrix.sh", description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--ci", action="store_true", help="only the oldest and the newest ansible-core, one Python each")
    parser.add_argument("--update-readme", action="store_true",
                        help="render README.md's tested-with table (from this full run, or with --only-readme the last)")
    parser.add_argument("--only-readme", action="store_true", help="run nothing: render the last full run's results")
    parser.add_argument("--source", default=str(ROOT), help="the collection folder to build (default: this checkout)")
    args = parser.parse_args()
    if args.ci and args.update_readme:
        parser.error("--update-readme needs a full run: the table is generated from every combination")
    BUILD.mkdir(parents=True, exist_ok=True)
    full_results = BUILD / "results.json"
    if args.only_readme:
        update_readme(json.loads(full_results.read_text()))
        return 0

    pythons = find_pythons()
    log("Pythons here: %s" % ", ".join("%s (%s)" % item for item in sorted(pythons.items())))
    combos, untested = plan(pythons, args.ci)
    log("combinations: %s" % ", ".join("%(ansible_core)s/py%(python)s" % c for c in combos))
    (BUILD / "logs").mkdir(exist_ok=True)
    source, commit = snapshot(Path(args.source).resolve())
    started, results = time.monotonic(), []
    for combo in combos:
        log("== ansible-core %(ansible_core)s, Python %(python)s" % combo)
        results.append(run_combination(combo, pythons[combo["python"]], source))
        log("   %s in %ds%s" % (results[-1]["status"], results[-1]["seconds"],
                                ": " + results[-1]["problem"] if results[-1].get("problem") else ""))
    galaxy = yaml.safe_load((source / "galaxy.yml").read_text())
    report = {"finished": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
              "mode": "ci" if args.ci else "full", "collection_version": galaxy["version"], "commit": commit,
              "seconds": round(time.monotonic() - started), "results": results, "untested": untested}
    out = BUILD / ("results-ci.json" if args.ci else "results.json")
    out.write_text(json.dumps(report, indent=2) + "\n")
    print_table(results)
    failed = [r for r in results if r["status"] != "pass"]
    log("\n%d of %d combinations passed in %ds; results: %s" % (len(results) - len(failed), len(results), report["seconds"],
                                                                out.relative_to(ROOT)))
    if args.update_readme:
        update_readme(report)
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main())
