#!/usr/bin/env bash
# The test command. Runs every stage, or the ones named, and ends with "N passed, N failed".
#   scripts/test.sh                 stages pytest (tests/e2e + tests/faults), unit (ansible-test units), sanity, lint, changelog
#   scripts/test.sh STAGE ...       only those: pytest, unit, e2e (alias: integration), faults, sanity, lint, changelog
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

usage() {
    echo "usage: $0 [pytest|unit|e2e|integration|faults|sanity|lint|changelog ...]" >&2
    exit 2
}

# ---- stages: each returns non-zero on failure and says why -------------------------------------

# pytest over the given test directories that exist.
run_pytest() {
    local dirs=() dir rc=0
    for dir in "$@"; do
        [[ -d "$ROOT/$dir" ]] && dirs+=("$dir")
    done
    if ((${#dirs[@]} == 0)); then
        echo "no test directory found (looked for: $*)"
        return 1
    fi
    # One worker more than cores: the tests are ansible-playbook runs, CPU-bound but for the time they wait on the
    # emulators' jobs (about an eighth of each test), which the extra worker fills (2 cores: 400 s with 2 workers, 355 s
    # with 3). Each worker has its own emulators. FLOWOPS_TEST_WORKERS sets the number.
    local workers="${FLOWOPS_TEST_WORKERS:-$(($(nproc 2>/dev/null || echo 1) + 1))}"
    (cd "$ROOT" && python -m pytest -ra -n "$workers" "${dirs[@]}") || rc=$?
    if ((rc == 5)); then
        echo "pytest collected no tests in ${dirs[*]}: a test stage that runs no test fails"
    fi
    return "$rc"
}

# tests/unit is not here: the unit stage runs it, through ansible-test units.
stage_pytest() { run_pytest tests/e2e tests/faults; }
stage_faults() { run_pytest tests/faults; }
stage_e2e() { run_pytest tests/e2e; }

# ansible-test needs the collection under .../ansible_collections/NAMESPACE/NAME, so it runs on a copy
# of the files git would commit (tracked, plus untracked that are not ignored). The copy gets its own
# git repo: otherwise ansible-test sees the checkout's repo, where .build/ is ignored, and skips everything.
copy_collection() {
    local dest="$1"
    rm -rf "$dest"
    mkdir -p "$dest"
    if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        (cd "$ROOT" && git ls-files -z -co --exclude-standard) \
            | while IFS= read -r -d '' path; do
                # skip tracked files deleted in the work tree
                if [[ -e "$ROOT/$path" || -L "$ROOT/$path" ]]; then printf '%s\0' "$path"; fi
            done \
            | (cd "$ROOT" && tar --null --no-recursion -T - -cf -) \
            | tar -xf - -C "$dest"
    else
        echo "not a git checkout (or no git): copying the tree without .git, .venv, .build, .ansible and caches"
        (cd "$ROOT" && tar --exclude=./.git --exclude=./.venv --exclude=./.build --exclude=./.ansible \
            --exclude=./tests/output --exclude=./.pytest_cache --exclude='__pycache__' -cf - .) \
            | tar -xf - -C "$dest"
    fi
    if command -v git >/dev/null 2>&1; then
        git -C "$dest" init -q
    fi
}

# ansible-test bootstraps pip in each sanity venv with a get-pip.py from its own server, which is out of
# reach here; scripts/ansible_test_get_pip.py stands in for it, in a HOME private to this run. The pip version
# ansible-test asks for is read from its sources as text (importing its private modules would tie the test command
# to their API): every pinned pip version found there is seeded.
seed_get_pip() {
    local home="$1" versions version
    versions="$(python - <<'EOF'
import os, re, sys
import ansible_test
path = os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py")
with open(path) as stream:
    found = sorted(set(re.findall(r"""\bpip\s*=\s*['"]([0-9][0-9.]*)['"]""", stream.read())))
if not found:
    sys.exit("no pinned pip version in %s" % path)
print("\n".join(found))
EOF
)" || return 1
    mkdir -p "$home/.ansible/test/cache"
    for version in $versions; do
        cp "$HERE/ansible_test_get_pip.py" "$home/.ansible/test/cache/get_pip_${version//./_}.py"
    done
}

# ansible-test keeps its sanity venvs under its HOME. Creating them (ten venvs, pip installs) costs about a minute,
# so they are kept between runs in the user's cache, one set per ansible-core version and Python build; a cold
# cache is filled on the first run. FLOWOPS_TEST_CACHE moves it; deleting the folder rebuilds it.
ansible_test_home() {
    local key
    key="$(python -c 'import hashlib, sys, ansible
print("ansible-core-%s-py%d.%d.%d-%s" % ((ansible.__version__,) + sys.version_info[:3]
      + (hashlib.sha256(sys.base_prefix.encode()).hexdigest()[:8],)))')" || return 1
    echo "${FLOWOPS_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flowops-ipaas}/ansible-test/$key"
}

# HOME: ansible-test keeps its venvs and pip cache under ~; PYTHONPATH would shadow the copy.
ansible_test_sanity() {
    local dest="$1" home="$2" pyver="$3"
    shift 3
    (cd "$dest" && env -u PYTHONPATH -u ANSIBLE_COLLECTIONS_PATH HOME="$home" \
        ansible-test sanity --python "$pyver" --requirements --color no "$@")
}

# Prints where a stage's copy of the collection goes: .build/STAGE/ansible_collections/NAMESPACE/NAME.
collection_copy_path() {
    local namespace name
    read -r namespace name < <(python -c 'import sys, yaml; g = yaml.safe_load(open(sys.argv[1])); print(g["namespace"], g["name"])' \
        "$ROOT/galaxy.yml") || { echo "cannot read namespace and name from galaxy.yml" >&2; return 1; }
    echo "$BUILD/$1/ansible_collections/$namespace/$name"
}

stage_sanity() {
    local dest home pyver log rc=0
    dest="$(collection_copy_path sanity)" || return 1
    home="$(ansible_test_home)" || { echo "cannot name the ansible-test cache folder"; return 1; }
    pyver="$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
    log="$BUILD/sanity/ansible-test.log"

    copy_collection "$dest" || return 1
    mkdir -p "$home"
    seed_get_pip "$home" || { echo "could not find the pip version ansible-test wants"; return 1; }
    echo "collection copy: $dest (HOME for ansible-test: $home)"
    echo "compile and import run on Python $pyver only (the project venv); other Python versions are not checked here"

    # Create the sanity venvs first, so pip's output goes to the log rather than the console; the lock keeps two
    # runs sharing the cache from building the same venv at once.
    if ! (flock 9 && ansible_test_sanity "$dest" "$home" "$pyver" --prime-venvs) 9>"$home/.lock" >"$log" 2>&1; then
        echo "ansible-test could not prepare its sanity venvs; last lines of $log:"
        tail -n 30 "$log"
        return 1
    fi
    ansible_test_sanity "$dest" "$home" "$pyver" --list-tests >"$BUILD/sanity/tests.txt" 2>>"$log" || { echo "ansible-test --list-tests failed; see $log"; return 1; }
    ansible_test_sanity "$dest" "$home" "$pyver" --junit 2>&1 | tee -a "$log" || rc=$?
    echo "results (one line per sanity test, from $dest/tests/output/junit):"
    SANITY_PYTHON="$pyver" python "$HERE/sanity_report.py" "$dest/tests/output/junit" "$BUILD/sanity/tests.txt" || rc=1
    return "$rc"
}

# ansible-test units on a copy of the collection (its own, so it can run next to sanity): tests/unit as ansible-test
# imports it, every module under ansible_collections.flowops.ipaas. It runs on the project venv's Python, which has
# tests/unit/requirements.txt (requirements/test.txt pins them), so nothing is installed; --requirements would install
# into that venv.
stage_unit() {
    local dest pyver rc=0
    dest="$(collection_copy_path units)" || return 1
    pyver="$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
    copy_collection "$dest" || return 1
    echo "collection copy: $dest (Python $pyver, the project venv)"
    # HOME stays the user's: ansible-test passes only HOME and PATH to the tests, and the awx.awx check finds the
    # cached collection under ~/.cache.
    (cd "$dest" && env -u PYTHONPATH -u ANSIBLE_COLLECTIONS_PATH ansible-test units --python "$pyver" --color no) || rc=$?
    python "$HERE/units_report.py" "$dest/tests/output/junit" || rc=1
    return "$rc"
}

# awx.awx for ansible-lint (playbooks/awx_configure.yml: module options are validated only when the collection is
# there). The `ansible` package ships it: its wheel is downloaded once and only ansible_collections/awx/awx is kept,
# in the user's cache (FLOWOPS_TEST_CACHE moves it). Prints the collections dir to put on ANSIBLE_COLLECTIONS_PATH.
ensure_awx_collection() {
    local version="${FLOWOPS_AWX_ANSIBLE_VERSION:-12.3.0}" cache dir
    cache="${FLOWOPS_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flowops-ipaas}"
    dir="$cache/awx-collection/ansible-$version"
    if [[ ! -f "$dir/ansible_collections/awx/awx/MANIFEST.json" ]]; then
        mkdir -p "$cache/wheels" "$dir"
        python -m pip download --quiet --no-deps --only-binary=:all: -d "$cache/wheels" "ansible==$version" >&2 || return 1
        python -c 'import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel:
    wheel.extractall(sys.argv[2], [n for n in wheel.namelist() if n.startswith("ansible_collections/awx/awx/")])' \
            "$cache/wheels/ansible-$version-py3-none-any.whl" "$dir" || return 1
    fi
    echo "$dir"
}

stage_lint() {
    local args=(--profile production) awx
    [[ -t 1 ]] || args+=(--nocolor)
    awx="$(ensure_awx_collection)" || { echo "could not get awx.awx from the ansible wheel (needed to lint awx_configure.yml)"; return 1; }
    # ansible-lint maps the collection itself and warns when it may not scan sys.path;
    # XDG_CACHE_HOME keeps its cache in .build/.
    (cd "$ROOT" && env -u PYTHONPATH -u ANSIBLE_COLLECTIONS_SCAN_SYS_PATH XDG_CACHE_HOME="$BUILD/cache" \
        ANSIBLE_COLLECTIONS_PATH="$COLLECTIONS_DIR:$awx" ansible-lint "${args[@]}")
}

# ansible-rulebook (tests/e2e/test_eda_rulebook.py) runs its rules engine on Java 17 or later. When java is missing or
# older and this runs as root with apt-get, openjdk-17-jre-headless is installed (apt-get update first only when the
# package lists do not know it); otherwise the message says what to install and that test fails.
ensure_java() {
    local version=""
    if command -v java >/dev/null 2>&1; then
        version="$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1)"
        if [[ -n "$version" ]] && ((version >= 17)); then
            return 0
        fi
    fi
    if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
        echo "ansible-rulebook needs Java 17 or later on PATH (found: ${version:-none}); install openjdk-17-jre-headless"
        return 1
    fi
    echo "installing openjdk-17-jre-headless for ansible-rulebook (found Java: ${version:-none})"
    if ! apt-cache show openjdk-17-jre-headless >/dev/null 2>&1; then
        apt-get update -qq >/dev/null || return 1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null
}

stage_changelog() {
    (cd "$ROOT" && antsibull-changelog lint && antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml)
}

# ---- driver ------------------------------------------------------------------------------------

declare -A TITLES=(
    [pytest]="pytest tests/e2e tests/faults"
    [unit]="ansible-test units (tests/unit)"
    [e2e]="pytest tests/e2e"
    [faults]="pytest tests/faults"
    [sanity]="ansible-test sanity"
    [lint]="ansible-lint --profile production"
    [changelog]="antsibull-changelog lint"
)
SUMMARY=()
PASSED=0
FAILED=0

# Runs one stage with its output; leaves "exit-code seconds" in $RESULTS/<stage>.
run_stage() {
    local stage="$1" start rc=0
    echo
    echo "==== $stage: ${TITLES[$stage]}"
    start=$SECONDS
    "stage_$stage" || rc=$?
    echo "==== $stage: $([[ $rc == 0 ]] && echo passed || echo FAILED)"
    echo "$rc $((SECONDS - start))" >"$RESULTS/$stage"
}

record() {
    local stage="$1" rc=1 seconds=0
    [[ -f "$RESULTS/$stage" ]] && read -r rc seconds <"$RESULTS/$stage"
    if ((rc == 0)); then
        PASSED=$((PASSED + 1))
        SUMMARY+=("$(printf 'PASS  %-10s %4ds  %s' "$stage" "$seconds" "${TITLES[$stage]}")")
    else
        FAILED=$((FAILED + 1))
        SUMMARY+=("$(printf 'FAIL  %-10s %4ds  %s (exit %d)' "$stage" "$seconds" "${TITLES[$stage]}" "$rc")")
    fi
}

main() {
    local stages=() stage side=() pids=()
    for stage in "$@"; do
        [[ "$stage" =~ ^(pytest|unit|e2e|integration|faults|sanity|lint|changelog)$ ]] || usage
        # integration: the stage's name before the suites moved to tests/e2e
        [[ "$stage" == integration ]] && stage=e2e
        stages+=("$stage")
    done
    ((${#stages[@]})) || stages=(pytest unit sanity lint changelog)

    if ! bash "$HERE/bootstrap.sh"; then
        echo "bootstrap failed: no stage could run"
        echo "0 passed, ${#stages[@]} failed"
        exit 1
    fi
    # shellcheck source=scripts/env.sh
    source "$HERE/env.sh"
    RESULTS="$BUILD/stages"
    rm -rf "$RESULTS"
    mkdir -p "$RESULTS"

    # awx.awx once, before the stages start side by side: lint needs it, and a unit test checks the workflow nodes
    # against its docs (it would skip if the unit stage got there before lint had fetched it on a new machine).
    if [[ " ${stages[*]} " =~ \ (unit|lint)\  ]] && ! ensure_awx_collection >/dev/null; then
        echo "could not get awx.awx from the ansible wheel: the unit and lint stages need it"
    fi
    if [[ " ${stages[*]} " =~ \ (pytest|e2e)\  ]] && ! ensure_java; then
        echo "could not install Java 17: the e2e test of the Event-Driven Ansible rulebook will fail"
    fi

    # Next to a playbook stage, the unit and static stages run at the same time (their output is shown when they
    # end): the playbook runs leave CPU idle while they wait on each other and on the emulators.
    # FLOWOPS_TEST_SERIAL=1 runs every stage one after the other.
    if [[ -z "${FLOWOPS_TEST_SERIAL:-}" && " ${stages[*]} " =~ \ (pytest|e2e|faults)\  ]]; then
        for stage in "${stages[@]}"; do
            if [[ "$stage" =~ ^(unit|sanity|lint|changelog)$ ]]; then
                side+=("$stage")
                run_stage "$stage" >"$RESULTS/$stage.log" 2>&1 &
                pids+=($!)
            fi
        done
    fi
    for stage in "${stages[@]}"; do
        [[ " ${side[*]} " == *" $stage "* ]] || run_stage "$stage"
    done
    if ((${#pids[@]})); then
        wait "${pids[@]}" || true
        for stage in "${side[@]}"; do
            cat "$RESULTS/$stage.log"
        done
    fi
    for stage in "${stages[@]}"; do
        record "$stage"
    done

    echo
    echo "==== summary"
    printf '%s\n' "${SUMMARY[@]}"
    echo "$PASSED passed, $FAILED failed"
    ((FAILED == 0))
}

main "$@"
