#!/usr/bin/env bash
# Sets berth up on a fresh Debian 12 machine (as root) and runs its main job.
#   - installs the Debian packages berth and its tests need
#   - installs npm dependencies (npm ci), which builds the native addon and the TypeScript
#   - runs scripts/main-job.sh (skip with --no-run): a container from a busybox image built
#     from the host's static busybox, serving a page on a published port
set -euo pipefail
cd "$(dirname "$0")/.."

run_main=1
for a in "$@"; do
  case "$a" in
    --no-run) run_main=0 ;;
    *) echo "setup.sh: unknown option $a" >&2; exit 2 ;;
  esac
done

if [ "$(id -u)" != 0 ]; then
  echo "setup.sh: berth manages namespaces, mounts, cgroups and iptables: run it as root" >&2
  exit 1
fi

# Debian packages: build tools and libseccomp headers for the native addon; busybox-static for
# test images; iptables (nf_tables) and iproute2 for networking; docker-registry, skopeo,
# apache2-utils and openssl for the registry interoperability tests; docker.io (dockerd, never
# started as a service here) as the reference the json-file format tests and the benchmarks
# compare against; runc for the exec benchmark; attr (setfattr/getfattr: xattrs of layers),
# zstd and e2fsprogs (chattr: overlay2 marks its home as the top of directory hierarchies) for the graph.
PKGS=(build-essential cmake python3 libseccomp-dev busybox-static iptables iproute2 kmod
      docker-registry skopeo apache2-utils openssl procps util-linux ca-certificates
      docker.io runc attr zstd e2fsprogs)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# On a machine with systemd, Debian starts docker-registry (:5000) and dockerd (172.17.0.0/16,
# FORWARD policy DROP) when it installs them; berth's tests and benchmarks start their own, on
# their own sockets and ports, and must not meet stray ones.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl disable --now docker-registry docker.socket docker containerd >/dev/null 2>&1 || true
fi
pkill -x docker-registry >/dev/null 2>&1 || true

echo "==> npm ci (builds native/ with cmake-js, then the TypeScript)"
npm ci --no-audit --no-fund
# npm ci runs `prepare` (the build) for the root package; build again if it was skipped.
if [ ! -f dist/core/bin/berthd.js ] || [ ! -f native/build/Release/berth-shim ]; then
  npm run build
fi

if [ "$run_main" = 1 ]; then
  echo "==> main job"
  bash scripts/main-job.sh
fi
