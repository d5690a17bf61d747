#!/usr/bin/env bash
# The main job, offline: start the bundled Celigo emulator with an outage scenario (3 abstract flows,
# 45 instances, thousands of errors, one disabled instance, records that fail again), run the
# incident-recovery playbook against it, print the summary and the report path, stop the emulator.
# Extra arguments go to ansible-playbook (e.g. --check for the dry run).
set -euo pipefail

# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
"$ROOT/scripts/bootstrap.sh"

WORK="$BUILD/demo"
REPORTS="${FLOWOPS_DEMO_REPORT_DIR:-$BUILD/demo-reports}"
rm -rf "$WORK"
mkdir -p "$WORK" "$REPORTS"

emulator_pid=""
stop_emulator() {
    if [[ -n "$emulator_pid" ]] && kill -0 "$emulator_pid" 2>/dev/null; then
        kill "$emulator_pid"
        wait "$emulator_pid" 2>/dev/null || true
    fi
}
trap stop_emulator EXIT

echo "Starting the Celigo emulator with the outage scenario..."
python -m emulator celigo --preset outage --latency-ms "${FLOWOPS_DEMO_LATENCY_MS:-2}" \
    --port-file "$WORK/port" --save-scenario "$WORK/scenario.json" >"$WORK/emulator.log" 2>&1 &
emulator_pid=$!
for _ in $(seq 1 100); do
    [[ -s "$WORK/port" ]] && break
    kill -0 "$emulator_pid" 2>/dev/null || { cat "$WORK/emulator.log" >&2; exit 1; }
    sleep 0.1
done
[[ -s "$WORK/port" ]] || { echo "demo: the emulator did not start" >&2; exit 1; }

FLOWOPS_API_URL="http://127.0.0.1:$(cat "$WORK/port")"
export FLOWOPS_API_URL
export FLOWOPS_API_TOKEN=emulator-token
python - "$WORK/scenario.json" "$REPORTS" >"$WORK/vars.json" <<'PY'
import json, sys
scenario = json.load(open(sys.argv[1]))
abstract = [f["_id"] for f in scenario["flows"] if not f.get("_abstractFlowId") and
            any(i.get("_abstractFlowId") == f["_id"] for i in scenario["flows"])]
print(json.dumps({
    "incident_recovery_abstract_flow_ids": abstract,
    "incident_recovery_since": "2026-11-20T00:00:00Z",
    "incident_recovery_retry_classifications": ["intermittent", "rate_limit"],
    "incident_recovery_resolve_classifications": ["duplicate"],
    "incident_recovery_rounds": 2,
    "incident_recovery_poll_interval": 0.5,
    "incident_recovery_report_dir": sys.argv[2],
}))
PY

echo "Emulator at $FLOWOPS_API_URL; running playbooks/incident_recovery.yml"
ANSIBLE_DISPLAY_SKIPPED_HOSTS=False ansible-playbook -i localhost, "$ROOT/playbooks/incident_recovery.yml" -e "@$WORK/vars.json" "$@"
