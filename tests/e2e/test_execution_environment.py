"""The execution environment: the build context `ansible-builder create` writes is complete, its galaxy step installs
the collection tarball, and the installed collection declares `requests` the way ansible-builder introspects it.
No container runtime: the galaxy step is replayed on the host in the context folder the Containerfile copies to /build."""

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GALAXY = yaml.safe_load((ROOT / "galaxy.yml").read_text())
TARBALL = "%s-%s-%s.tar.gz" % (GALAXY["namespace"], GALAXY["name"], GALAXY["version"])
DEFINITION = yaml.safe_load((ROOT / "execution-environment.yml").read_text())


def run(args, cwd, env=None):
    proc = subprocess.run([str(BIN / args[0])] + args[1:], capture_output=True, text=True, cwd=str(cwd), env=env, check=False,
                          timeout=120)
    assert proc.returncode == 0, "%s\n%s%s" % (" ".join(args), proc.stdout, proc.stderr)
    return proc.stdout


def instructions(containerfile):
    """(stage, instruction, arguments) per line, continuation lines joined."""
    stage, result = None, []
    for line in containerfile.replace("\\\n", " ").splitlines():
        words = line.split(None, 1)
        if not words or words[0].startswith("#"):
            continue
        if words[0] == "FROM":
            stage = words[1].split()[-1]
        result.append((stage, words[0], words[1] if len(words) > 1 else ""))
    return result


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Build the tarball, lay out a copy of the files the EE definition names, run `ansible-builder create`."""
    tmp = tmp_path_factory.mktemp("ee")
    run(["ansible-galaxy", "collection", "build", str(ROOT), "--output-path", str(tmp / "dist")], cwd=tmp)
    source = tmp / "source"
    source.mkdir()
    shutil.copy(ROOT / "execution-environment.yml", source)
    if isinstance(DEFINITION["dependencies"].get("python"), str):
        (source / DEFINITION["dependencies"]["python"]).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / DEFINITION["dependencies"]["python"], source / DEFINITION["dependencies"]["python"])
    # Where the documented `ansible-galaxy collection build .` leaves it: next to execution-environment.yml.
    shutil.copy(tmp / "dist" / TARBALL, source)
    context = tmp / "context"
    run(["ansible-builder", "create", "-f", str(source / "execution-environment.yml"), "-c", str(context),
         "--output-filename", "Containerfile"], cwd=source)
    return tmp, context


def test_the_definition_follows_galaxy_yml_and_copies_the_tarball_into_the_context():
    assert [entry["src"] for entry in DEFINITION["additional_build_files"]] == [TARBALL]
    assert DEFINITION["dependencies"]["ansible_core"]["package_pip"] == "ansible-core==2.19.14"


def test_every_file_the_containerfile_copies_is_in_the_build_context(built):
    context = built[1]
    copies = [args for stage, instruction, args in instructions((context / "Containerfile").read_text())
              if instruction in ("COPY", "ADD") and not args.startswith("--from=")]
    assert copies, "no COPY from the build context"
    assert 'ANSIBLE_INSTALL_REFS="ansible-core==2.19.14 ansible-runner==2.4.1"' in (context / "Containerfile").read_text()
    assert "requests==" in (context / "_build" / "requirements.txt").read_text()
    for args in copies:
        for source in shlex.split(args)[:-1]:
            assert (context / source).exists(), "the Containerfile copies %s, which is not in the context" % source


def test_the_galaxy_step_installs_the_tarball_from_the_context(built):
    tmp, context = built
    steps = [(instruction, args) for stage, instruction, args in instructions((context / "Containerfile").read_text())
             if stage == "galaxy"]
    # The galaxy stage copies the context's _build to /build and runs ansible-galaxy there.
    assert ("COPY", "_build /build") in steps
    assert ("WORKDIR", "/build") in steps
    assert steps.index(("COPY", "_build /build")) < steps.index(("WORKDIR", "/build"))
    installs = [shlex.split(args) for instruction, args in steps if instruction == "RUN" and "collection install" in args]
    assert len(installs) == 1
    command = installs[0]
    while "=" in command[0]:  # leading VAR=value environment assignments
        command = command[1:]
    assert command == ["ansible-galaxy", "collection", "install", "$ANSIBLE_GALAXY_CLI_COLLECTION_OPTS", "-r", "requirements.yml",
                       "--collections-path", "/usr/share/ansible/collections"]
    workdir = context / "_build"
    requirements = yaml.safe_load((workdir / "requirements.yml").read_text())
    assert requirements == {"collections": [{"name": "collections/" + TARBALL, "type": "file"}]}
    assert (workdir / requirements["collections"][0]["name"]).is_file()
    assert (workdir / "collections" / TARBALL).read_bytes() == (tmp / "dist" / TARBALL).read_bytes()

    # The same command on the host, in the folder that becomes /build; its own collections path so the checkout's
    # collection (ANSIBLE_COLLECTIONS_PATH) does not count as already installed.
    target = tmp / "installed"
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(target), ANSIBLE_GALAXY_DISABLE_GPG_VERIFY="1")
    run(command[:3] + command[4:-1] + [str(target)], cwd=workdir, env=env)
    collection = target / "ansible_collections" / GALAXY["namespace"] / GALAXY["name"]
    assert yaml.safe_load((collection / "meta" / "execution-environment.yml").read_text()) == {
        "version": 1, "dependencies": {"python": "requirements.txt"}}

    # What the builder stage's introspect will find in /usr/share/ansible/collections.
    out = run(["ansible-builder", "introspect", str(target)], cwd=tmp)
    found = yaml.safe_load(out[out.index("---"):])
    collection_key = "%s.%s" % (GALAXY["namespace"], GALAXY["name"])
    assert [line for line in found["python"] if line.startswith("requests") and line.endswith("# from collection " + collection_key)]


def test_the_declared_requests_range_admits_the_tested_pin():
    declared = [Requirement(line) for line in (ROOT / "requirements.txt").read_text().splitlines() if line and not line.startswith("#")]
    pinned = [Requirement(line) for line in (ROOT / "requirements" / "runtime.txt").read_text().splitlines()
              if line and not line.startswith("#")]
    assert [r.name for r in declared] == [r.name for r in pinned] == ["requests"]
    version = next(iter(pinned[0].specifier)).version
    assert declared[0].specifier.contains(version), "requirements.txt %s excludes the tested %s" % (declared[0], version)
    assert declared[0].specifier, "requirements.txt must bound requests"
