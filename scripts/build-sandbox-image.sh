#!/usr/bin/env bash
# Builds the docker backend's sandbox image without any registry (idempotent).
#   bash scripts/build-sandbox-image.sh [--rebuild]
# 1. debootstrap a minimal bookworm with python3, numpy, matplotlib, pandas and the EPICS CA
#    libraries; pyepics goes in as files only (Debian's package hard-depends on wxgtk, which a
#    sandbox does not need); matplotlib's font cache is built once so runs do not rebuild it.
# 2. the rootfs is cached as a tarball (keyed on the package list and recipe version), so a
#    rebuild is one import.
# 3. `docker import` with the runtime settings: non-root user, /work, Agg backend.
# Env: PYFLEET_SANDBOX_IMAGE (default pyfleet-sandbox:latest), PYFLEET_CACHE_DIR,
#      DEBIAN_MIRROR (default http://deb.debian.org/debian), DOCKER_HOST (else scripts/dockerd.sh start).
# Deployments with a registry can use docker/sandbox/Dockerfile instead.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
image=${PYFLEET_SANDBOX_IMAGE:-pyfleet-sandbox:latest}
cache_dir=${PYFLEET_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pyfleet}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
rebuild=0
[ "${1:-}" = "--rebuild" ] && rebuild=1
t0=$(date +%s%N)
elapsed() { local ms=$((($(date +%s%N) - t0) / 1000000)); printf '%d.%01d' $((ms / 1000)) $((ms % 1000 / 100)); }

if [ -z "${DOCKER_HOST:-}" ]; then
  DOCKER_HOST=$(bash "$repo/scripts/dockerd.sh" start | sed -n 's/^DOCKER_HOST=//p' | tail -1)
  export DOCKER_HOST
fi
docker version --format '{{.Server.Version}}' >/dev/null 2>&1 \
  || { echo "no Docker engine answers at ${DOCKER_HOST:-the default socket}; start one with: bash scripts/dockerd.sh start" >&2; exit 1; }

# One build at a time (parallel test files call this script in their setup).
mkdir -p "$cache_dir"
exec 9>"$cache_dir/build.lock"
flock 9

if [ "$rebuild" = 0 ] && docker image inspect "$image" >/dev/null 2>&1; then
  echo "sandbox image $image exists (skip; --rebuild to rebuild) [$(elapsed) s]"
  exit 0
fi

# apt (not debootstrap's resolver, which always takes the first alternative) installs these, so
# `python3-scipy | python3-munkres` in python3-fonttools does not drag in scipy, pythran and gcc.
packages="python3-numpy python3-matplotlib python3-pandas python3-pkg-resources libca4.13.5 libcom3.17.6 libblas3 liblapack3 python3-munkres python3-ufolib2"
# Bump recipe when the rootfs steps below change: the cached tarball is keyed on it.
recipe=3
key=$(echo "$recipe $packages" | sha256sum | cut -c1-12)
rootfs_tar="$cache_dir/sandbox-rootfs-bookworm-$key.tar"

if [ ! -f "$rootfs_tar" ]; then
  [ "$(id -u)" = 0 ] || { echo "building the rootfs needs root (debootstrap, chroot); run: sudo bash $0" >&2; exit 1; }
  command -v debootstrap >/dev/null || { echo "debootstrap missing: apt-get install -y debootstrap" >&2; exit 1; }
  work=$(mktemp -d "$cache_dir/rootfs.XXXXXX")
  root="$work/root"
  cleanup() { umount "$root/proc" 2>/dev/null || true; rm -rf "$work"; }
  trap cleanup EXIT
  echo "debootstrap bookworm (minbase + python3) into $work ..."
  debootstrap --variant=minbase --include=python3 bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -30 "$work/debootstrap.log" >&2; exit 1; }
  echo "debootstrap done [$(elapsed) s]"

  mount -t proc proc "$root/proc"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  # shellcheck disable=SC2086
  chroot "$root" sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $packages" \
    >"$work/apt.log" 2>&1 || { tail -30 "$work/apt.log" >&2; exit 1; }
  # pyepics as files only: its Debian package depends on wxgtk; the CA libraries came in above.
  chroot "$root" sh -c 'cd /tmp && apt-get download -qq python3-pyepics && dpkg-deb -x python3-pyepics_*.deb / && rm python3-pyepics_*.deb' \
    >>"$work/apt.log" 2>&1 || { tail -30 "$work/apt.log" >&2; exit 1; }
  rm -rf "$root/usr/lib/python3/dist-packages/epics/wx"
  echo "packages installed [$(elapsed) s]"

  # Font cache baked in; the container copies it to its writable tmpfs before Python starts.
  mkdir -p "$root/opt/pyfleet/matplotlib" "$root/work"
  chroot "$root" env MPLCONFIGDIR=/opt/pyfleet/matplotlib MPLBACKEND=Agg /usr/bin/python3 -c \
    'import matplotlib.pyplot as plt, numpy, pandas, epics; plt.figure(); plt.plot([1, 2]); plt.savefig("/dev/null", format="png")'
  chmod -R a+rX "$root/opt/pyfleet"
  chown 65534:65534 "$root/work"
  umount "$root/proc"
  : >"$root/etc/resolv.conf"

  # Smaller image: no apt lists, caches, docs or locales are needed at run time.
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin "$root"/var/lib/apt/lists/* \
    "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/*
  tar -C "$root" -cf "$rootfs_tar.tmp" .
  mv "$rootfs_tar.tmp" "$rootfs_tar"
  find "$cache_dir" -maxdepth 1 -name 'sandbox-rootfs-bookworm-*.tar' ! -name "$(basename "$rootfs_tar")" -delete
  echo "rootfs cached at $rootfs_tar ($(du -h "$rootfs_tar" | cut -f1)) [$(elapsed) s]"
fi

docker import \
  --change 'USER 65534:65534' \
  --change 'WORKDIR /work' \
  --change 'ENV HOME=/work MPLBACKEND=Agg MPLCONFIGDIR=/tmp/matplotlib PYTHONDONTWRITEBYTECODE=1 LANG=C.UTF-8 PATH=/usr/local/bin:/usr/bin:/bin' \
  --change 'LABEL org.pyfleet.sandbox=1' \
  --change 'CMD ["/usr/bin/python3"]' \
  "$rootfs_tar" "$image" >/dev/null
echo "sandbox image $image built [$(elapsed) s]"
