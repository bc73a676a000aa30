#!/bin/bash
# Runs before kind's entrypoint. A node started without --privileged (on hosts that cannot grant
# every capability; see docker-unprivileged.sh) has read-only cgroup mounts; remount them writable
# the way --privileged would, since kind's entrypoint creates the kubelet's cgroups in them.
set -euo pipefail
if [[ -n "${MONIHUB_KIND_NOT_PRIVILEGED:-}" ]]; then
  # mountinfo: the file system type follows the " - " separator.
  for m in $(awk '{fs=""; for (i=7; i<=NF; i++) if ($i == "-") { fs=$(i+1); break }
                   if (fs ~ /^cgroup2?$/ || $5 == "/sys/fs/cgroup") print $5}' /proc/self/mountinfo); do
    mount -o remount,bind,rw "$m" || echo "WARN: could not remount $m read-write" >&2
  done
fi
exec "$@"
