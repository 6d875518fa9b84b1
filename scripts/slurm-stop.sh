#!/usr/bin/env bash
# Stops the daemons scripts/slurm-start.sh started (by their recorded process ids), nothing else.
set -uo pipefail
STATE=${OCELLUS_SLURM_STATE:-/tmp/ocellus-slurm}
[ -f "$STATE/pids" ] || exit 0
while read -r pid; do
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
done <"$STATE/pids"
rm -f "$STATE/pids"
echo stopped
