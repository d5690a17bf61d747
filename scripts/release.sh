#!/usr/bin/env bash
# Release the collection (docs/releasing.md):
#   scripts/release.sh VERSION [--skip-tests]
# 1. checks VERSION is semantic (x.y.z[-pre]) and newer than galaxy.yml's version;
# 2. bumps galaxy.yml and the version references that name the tarball or the version
#    (execution-environment.yml, docs/awx.md, the client's User-Agent);
# 3. runs `antsibull-changelog release`: changelogs/changelog.yaml gets the release, CHANGELOG.rst is
#    regenerated, the fragments are removed;
# 4. runs the full test command, scripts/test.sh (--skip-tests leaves it out, for a dry run);
# 5. builds the tarball into .build/release/.
# If a step fails, the files it changed are put back as they were. Nothing is committed or tagged.
set -euo pipefail

# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

usage() {
    echo "usage: $0 VERSION [--skip-tests]" >&2
    exit 2
}

die() {
    echo "release: $*" >&2
    exit 1
}

VERSION=""
SKIP_TESTS=0
for arg in "$@"; do
    case "$arg" in
        --skip-tests) SKIP_TESTS=1 ;;
        -*) usage ;;
        *) [[ -z "$VERSION" ]] || usage; VERSION="$arg" ;;
    esac
done
[[ -n "$VERSION" ]] || usage

OUT="$BUILD/release"
SAVED="$OUT/before-$VERSION"
# Files the release rewrites besides galaxy.yml and changelogs/ (each names the version or the tarball).
VERSION_REFERENCES=(execution-environment.yml docs/awx.md plugins/module_utils/_http/client.py)

"$ROOT/scripts/bootstrap.sh"
cd "$ROOT"

current_version() {
    python -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["version"])' galaxy.yml
}

# Exits non-zero with a one-line reason unless $1 is semantic and newer than $2.
check_version() {
    python - "$1" "$2" <<'EOF'
import sys
import semantic_version

new, old = sys.argv[1], sys.argv[2]
if not semantic_version.validate(new) or "+" in new:
    sys.exit("VERSION %s is not a semantic version such as 1.2.0 or 1.2.0-rc.1 (no +build part)" % new)
if semantic_version.Version(new) <= semantic_version.Version(old):
    sys.exit("VERSION %s is not newer than galaxy.yml's version %s" % (new, old))
EOF
}

save_tree() {
    rm -rf "$SAVED"
    mkdir -p "$SAVED"
    cp -a galaxy.yml changelogs "$SAVED/"
    [[ ! -f CHANGELOG.rst ]] || cp -a CHANGELOG.rst "$SAVED/"
    for path in "${VERSION_REFERENCES[@]}"; do
        [[ ! -f "$path" ]] || { mkdir -p "$SAVED/tree/$(dirname "$path")"; cp -a "$path" "$SAVED/tree/$path"; }
    done
}

restore_tree() {
    echo "release: failed; putting galaxy.yml, changelogs/, CHANGELOG.rst and the version references back" >&2
    cp -a "$SAVED/galaxy.yml" galaxy.yml
    rm -rf changelogs
    cp -a "$SAVED/changelogs" changelogs
    if [[ -f "$SAVED/CHANGELOG.rst" ]]; then cp -a "$SAVED/CHANGELOG.rst" CHANGELOG.rst; else rm -f CHANGELOG.rst; fi
    for path in "${VERSION_REFERENCES[@]}"; do
        [[ ! -f "$SAVED/tree/$path" ]] || cp -a "$SAVED/tree/$path" "$path"
    done
    rm -rf "$SAVED"
}

bump_version() {
    local old="$1" new="$2" path
    python - "$new" <<'EOF'
import re
import sys

with open("galaxy.yml") as handle:
    text = handle.read()
text, count = re.subn(r"(?m)^version: .*$", "version: %s" % sys.argv[1], text)
if count != 1:
    sys.exit("galaxy.yml: expected one top-level 'version:' line, found %d" % count)
with open("galaxy.yml", "w") as handle:
    handle.write(text)
EOF
    for path in "${VERSION_REFERENCES[@]}"; do
        [[ -f "$path" ]] || continue
        sed -i -e "s/flowops-ipaas-${old//./\\.}\.tar\.gz/flowops-ipaas-$new.tar.gz/g" \
            -e "s/flowops-ipaas-ee:${old//./\\.}\b/flowops-ipaas-ee:$new/g" \
            -e "s#flowops\.ipaas/${old//./\\.}\"#flowops.ipaas/$new\"#g" "$path"
    done
}

main() {
    local old tarball
    old="$(current_version)" || die "cannot read the version from galaxy.yml"
    check_version "$VERSION" "$old" || exit 1
    [[ -n "$(find changelogs/fragments -name '*.yml' -o -name '*.yaml' 2>/dev/null)" ]] \
        || die "no changelog fragment in changelogs/fragments: nothing to release"
    antsibull-changelog lint || die "changelog fragments do not lint; fix them first"

    mkdir -p "$OUT"
    save_tree
    set -E
    trap restore_tree ERR
    trap 'restore_tree; exit 130' INT TERM

    echo "==== release $VERSION (galaxy.yml had $old)"
    bump_version "$old" "$VERSION"
    antsibull-changelog release --version "$VERSION"
    antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml
    [[ -f CHANGELOG.rst ]] || { echo "release: antsibull-changelog wrote no CHANGELOG.rst" >&2; false; }

    if ((SKIP_TESTS)); then
        echo "==== tests skipped (--skip-tests): this is a dry run, not a release"
    else
        bash scripts/test.sh
    fi

    tarball="$OUT/flowops-ipaas-$VERSION.tar.gz"
    rm -f "$tarball"
    ansible-galaxy collection build --output-path "$OUT" .
    trap - ERR INT TERM
    rm -rf "$SAVED"

    echo "==== released $VERSION"
    echo "tarball:   $tarball"
    echo "changelog: CHANGELOG.rst, changelogs/changelog.yaml (fragments removed)"
    echo "next: review 'git status' and 'git diff', commit, tag $VERSION (see docs/releasing.md)"
}

main
