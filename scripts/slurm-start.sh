#!/usr/bin/env bash
# Starts a single-node SLURM cluster on this machine for the cluster tests and benchmark:
# munged, slurmctld and slurmd with a generated minimal slurm.conf (one node, this host, one
# default partition). Needs root and Debian's `slurm-wlm` and `munge` packages; no systemd.
# Does nothing when a cluster already answers. Prints "ready" when the node is idle, or
# "unavailable: <reason>" and exits 3 when it cannot start here.
# scripts/slurm-stop.sh stops only what this script started.
set -euo pipefail

STATE=${OCELLUS_SLURM_STATE:-/tmp/ocellus-slurm}
unavailable() {
  echo "unavailable: $*"
  exit 3
}

if timeout 5 sinfo -h >/dev/null 2>&1; then
  echo "ready (a cluster was already running)"
  exit 0
fi
for cmd in munged mungekey slurmctld slurmd sbatch sinfo; do
  command -v "$cmd" >/dev/null 2>&1 || unavailable "$cmd is not installed (apt-get install slurm-wlm munge)"
done
[ "$(id -u)" = 0 ] || unavailable "starting slurmctld and slurmd here needs root"
mkdir -p "$STATE"
: >"$STATE/pids"

# munge: a key, its folders owned by the munge user, and the daemon.
mkdir -p /etc/munge /var/lib/munge /var/log/munge /run/munge
[ -s /etc/munge/munge.key ] || mungekey -c -k /etc/munge/munge.key
chown -R munge:munge /etc/munge /var/lib/munge /var/log/munge /run/munge
chmod 0700 /etc/munge /var/lib/munge /var/log/munge
chmod 0755 /run/munge
chmod 0600 /etc/munge/munge.key
# A credential that round-trips says a munged is serving (a dead one may linger as a zombie).
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  runuser -u munge -- munged --pid-file=/run/munge/munged.pid || unavailable "munged did not start"
  cat /run/munge/munged.pid >>"$STATE/pids" 2>/dev/null || true
fi

# slurm.conf: one node (this host, its CPUs), one default partition, state under /var/spool.
host=$(hostname -s)
cpus=$(nproc)
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
conf=/etc/slurm/slurm.conf
if [ -e "$conf" ] && ! grep -q '^# ocellus test cluster' "$conf"; then
  unavailable "$conf exists and was not written by this script; not touching it"
fi
cat >"$conf" <<CONF
# ocellus test cluster (written by scripts/slurm-start.sh)
ClusterName=ocellus
SlurmctldHost=$host
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmUser=root
SlurmdUser=root
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
ReturnToService=2
MinJobAge=600
SchedulerType=sched/backfill
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=main Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF

slurmctld -c || unavailable "slurmctld did not start (see /var/log/slurm/slurmctld.log)"
sleep 0.2
cat /run/slurmctld.pid >>"$STATE/pids" 2>/dev/null || true
slurmd -c || unavailable "slurmd did not start (see /var/log/slurm/slurmd.log)"
sleep 0.2
cat /run/slurmd.pid >>"$STATE/pids" 2>/dev/null || true

for _ in $(seq 1 100); do
  if [ "$(sinfo -h -o %t 2>/dev/null | head -1)" = idle ]; then
    echo ready
    exit 0
  fi
  sleep 0.2
done
unavailable "the node did not come up idle within 20 s ($(sinfo -h -o '%t %E' 2>&1 | head -1))"
