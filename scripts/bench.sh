#!/usr/bin/env bash
# The benchmarks: flowops.ipaas.flow_errors_retry against the Celigo emulator with real ansible-playbook runs,
# compared with a hand-written ansible.builtin.uri playbook and with the API's lower bound. Not part of the tests.
#   scripts/bench.sh                       every case (about 5 minutes on 2 cores); rewrites benchmarks/RESULTS.md
#   scripts/bench.sh a d                   only those cases (floor, a, b, c, d, paging) or run ids (a-uri, c-10, ...);
#                                          RESULTS.md is left alone unless --results-md benchmarks/RESULTS.md is given
#   scripts/bench.sh --latency-ms 50       other options: python benchmarks/run.py --help
# Results: benchmarks/results/latest.json and latest.md, and the table and the targets on stdout.
set -euo pipefail

# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
"$ROOT/scripts/bootstrap.sh"

cd "$ROOT"
# Each playbook run has its own time-out in run.py; this one bounds the whole run.
exec timeout --signal=TERM 1500 python "$ROOT/benchmarks/run.py" --default-results-md "$ROOT/benchmarks/RESULTS.md" "$@"
