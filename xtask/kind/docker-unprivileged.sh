#!/bin/bash
# A docker client wrapper for kind on hosts whose capability bounding set lacks CAP_SYS_RESOURCE
# (some virtual machines and nested containers): there `--privileged`, which asks for every
# capability, fails. kind always starts and execs into nodes with --privileged, so this turns it
# into every capability but SYS_RESOURCE plus what else --privileged gives a node.
# `cargo xtask kind` puts it first on kind's PATH only on such hosts.
real=${MONIHUB_REAL_DOCKER:-/usr/bin/docker}
case "${1:-}" in
  run|create)
    args=()
    for a in "$@"; do
      if [ "$a" = --privileged ]; then
        args+=(--cap-add=ALL --cap-drop=SYS_RESOURCE
               --security-opt=systempaths=unconfined
               "--device-cgroup-rule=a *:* rwm"
               --device=/dev/kmsg --device=/dev/fuse
               -e MONIHUB_KIND_NOT_PRIVILEGED=1)
      else
        args+=("$a")
      fi
    done
    exec "$real" "${args[@]}" ;;
  exec)
    args=()
    for a in "$@"; do [ "$a" = --privileged ] || args+=("$a"); done
    exec "$real" "${args[@]}" ;;
  *) exec "$real" "$@" ;;
esac
