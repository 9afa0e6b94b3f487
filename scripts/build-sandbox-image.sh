#!/usr/bin/env bash
# Builds the docker backend's sandbox image without any registry (idempotent).
#   bash scripts/build-sandbox-image.sh [--rebuild]
# 1. debootstrap a minimal bookworm with Debian's python3 (3.11, the interpreter of the project
#    venv); every Python package comes from the project's hashed lock (python/requirements.lock),
#    like the venv scripts/bootstrap.sh builds: the wheels are downloaded on this machine
#    (pip --require-hashes), then installed offline into the image's /usr/local (on the system
#    interpreter's path). matplotlib's font cache is built once so runs do not rebuild it.
# 2. the rootfs is cached as a tarball (keyed on the package list, the lock and recipe version),
#    so a rebuild is one import.
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


# Debian gives only the interpreter (python3-venv: pip for the one offline install step).
packages="python3-venv"
lock="$repo/python/requirements.lock"
# Bump recipe when the rootfs steps below change: the cached tarball is keyed on it and the lock.
recipe=4
key=$( (echo "$recipe $packages"; cat "$lock") | sha256sum | cut -c1-12)
rootfs_tar="$cache_dir/sandbox-rootfs-bookworm-$key.tar"

# An image built from this recipe and lock carries its key: an older image (another lock, Debian's
# python3-* packages) is rebuilt, not reused.
if [ "$rebuild" = 0 ] && [ "$(docker image inspect -f '{{index .Config.Labels "org.pyfleet.sandbox.key"}}' "$image" 2>/dev/null)" = "$key" ]; then
  echo "sandbox image $image is current (key $key; skip, --rebuild to rebuild) [$(elapsed) s]"
  exit 0
fi

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
  echo "packages installed [$(elapsed) s]"
  # The lock's wheels, fetched and hash-checked here (this machine reaches PyPI), installed offline
  # in the rootfs with a throwaway venv's pip into /usr/local/lib/python3.11/dist-packages (on Debian's python3's path).
  mkdir -p "$root/tmp/wheels"
  cp "$lock" "$root/tmp/requirements.lock"
  # the project venv's interpreter is Debian's python3 of the same release: the same wheels fit
  [ -x "$repo/.venv/bin/python" ] || { echo "no $repo/.venv: run bash scripts/bootstrap.sh first" >&2; exit 1; }
  "$repo/.venv/bin/python" -m pip download --quiet --no-deps --only-binary=:all: --require-hashes \
    -d "$root/tmp/wheels" -r "$lock" >"$work/pip.log" 2>&1 || { tail -30 "$work/pip.log" >&2; exit 1; }
  chroot "$root" sh -c 'python3 -m venv /tmp/pip && /tmp/pip/bin/pip install --quiet --no-index --find-links /tmp/wheels \
      --require-hashes --no-deps --only-binary=:all: --target /usr/local/lib/python3.11/dist-packages -r /tmp/requirements.lock && rm -rf /tmp/pip /tmp/wheels /tmp/requirements.lock' \
    >>"$work/pip.log" 2>&1 || { tail -30 "$work/pip.log" >&2; exit 1; }
  echo "locked Python packages installed [$(elapsed) s]"

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
  --change "LABEL org.pyfleet.sandbox.key=$key" \
  --change 'CMD ["/usr/bin/python3"]' \
  "$rootfs_tar" "$image" >/dev/null
echo "sandbox image $image built [$(elapsed) s]"
