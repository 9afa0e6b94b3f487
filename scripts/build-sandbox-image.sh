#!/usr/bin/env bash
# Builds the docker backend's sandbox image without any registry (idempotent).
#   bash scripts/build-sandbox-image.sh [--rebuild]
# 1. debootstrap a minimal bookworm; inside it (chroot) docker/sandbox/install-python.sh, the recipe
#    shared with the registry variant docker/sandbox/Dockerfile, installs Debian's python3 (3.11, the
#    project venv's interpreter) and every Python package from the hashed lock
#    (python/requirements.lock, pip --require-hashes): the wheels are downloaded on this machine
#    and installed offline. matplotlib's font cache is built once so runs do not rebuild it.
# 2. the rootfs is cached as a tarball (keyed on the recipe version, the install script and the
#    lock), so a rebuild is one import.
# 3. `docker import` with the runtime settings of the Dockerfile: non-root user, /work, Agg backend.
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


lock="$repo/python/requirements.lock"
# What goes into the rootfs is docker/sandbox/install-python.sh, shared with the registry variant
# docker/sandbox/Dockerfile. Bump recipe when the outer steps below change: the cached tarball is
# keyed on it, the install script and the lock.
install="$repo/docker/sandbox/install-python.sh"
recipe=5
key=$( (echo "$recipe"; cat "$install" "$lock") | sha256sum | cut -c1-12)
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
  echo "debootstrap bookworm (minbase) into $work ..."
  debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -30 "$work/debootstrap.log" >&2; exit 1; }
  echo "debootstrap done [$(elapsed) s]"

  mount -t proc proc "$root/proc"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  # The lock's wheels, fetched and hash-checked here (this machine reaches PyPI, with its own pip
  # settings and trust), then installed offline inside the rootfs by the shared recipe.
  mkdir -p "$root/tmp/pyfleet-build/wheels"
  cp "$lock" "$root/tmp/pyfleet-build/requirements.lock"
  cp "$install" "$root/tmp/pyfleet-build/install-python.sh"
  # the project venv's interpreter is Debian's python3 of the same release: the same wheels fit
  [ -x "$repo/.venv/bin/python" ] || { echo "no $repo/.venv: run bash scripts/bootstrap.sh first" >&2; exit 1; }
  "$repo/.venv/bin/python" -m pip download --quiet --no-deps --only-binary=:all: --require-hashes \
    -d "$root/tmp/pyfleet-build/wheels" -r "$lock" >"$work/pip.log" 2>&1 || { tail -30 "$work/pip.log" >&2; exit 1; }
  echo "wheels downloaded [$(elapsed) s]"
  # a clean environment: this machine's pip settings (PIP_FIND_LINKS...) mean nothing in the rootfs
  chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 sh /tmp/pyfleet-build/install-python.sh /tmp/pyfleet-build/requirements.lock /tmp/pyfleet-build/wheels \
    >"$work/install.log" 2>&1 || { tail -30 "$work/install.log" >&2; exit 1; }
  rm -rf "$root/tmp/pyfleet-build"
  echo "python3 and the locked packages installed (docker/sandbox/install-python.sh) [$(elapsed) s]"
  umount "$root/proc"
  : >"$root/etc/resolv.conf"

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
