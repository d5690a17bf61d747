#!/usr/bin/env bash
# The benchmarks: flowops.ipaas.flow_errors_retry against the Celigo emulator with real ansible-playbook runs,
# compared with a hand-written ansible.builtin.uri playbook and with the API's lower bound. Not part of the tests.
#   scripts/bench.sh                       every case (about 5 minutes on 2 cores); writes benchmarks/RESULTS.md
#   scripts/bench.sh a d                   only those cases (floor, a, b, c, d, paging) or run ids; RESULTS.md is
#                                          rewritten only with --results-md benchmarks/RESULTS.md
#   scripts/bench.sh --latency-ms 50 ...   other options: python benchmarks/run.py --help
# Results: benchmarks/results/latest.json and latest.md, plus the table and the targets on stdout.
set -euo pipefail

# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
"$ROOT/scripts/bootstrap.sh"

args=("$@")
has_case=false
for arg in "$@"; do
    [[ "$arg" != -* && "$arg" =~ ^[a-z][a-z0-9-]*$ ]] && has_case=true
done
if ! $has_case && [[ " $* " != *" --results-md "* ]]; then
    args+=(--results-md "$ROOT/benchmarks/RESULTS.md")
fi

# Every run is bounded: each playbook has its own time-out in run.py, the whole run this one.
cd "$ROOT"
exec timeout --signal=TERM 1500 python "$ROOT/benchmarks/run.py" "${args[@]}"
