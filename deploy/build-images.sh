#!/usr/bin/env bash
# Builds pyfleet's images on a machine without registry access (kind or a plain engine).
#   bash deploy/build-images.sh [node|jupyter|ioc|sandbox-dockerfile|redis|all]  (default all = node + jupyter + ioc)
# 1. pyfleet-node-base:24  - a debootstrap'ed bookworm (minbase + tini) with this
#    machine's node binary and npm copied in, `docker import`ed (no registry pull), plus this
#    machine's CA bundle (PYFLEET_CA_BUNDLE) so npm in the build trusts what the host trusts.
# 2. pyfleet-node:latest   - deploy/node/Dockerfile FROM that base; the context is streamed from
#    `git ls-files` (tracked + untracked-not-ignored files), so node_modules never enters it.
#    `npm ci` in the build talks to the npm registry (--network host).
# 3. pyfleet-sandbox:latest via scripts/build-sandbox-image.sh, then pyfleet-jupyter:latest
#    (deploy/jupyter/Dockerfile; apt adds tini and bubblewrap in the build, --network host) and
#    pyfleet-ioc:latest (deploy/ioc/Dockerfile; no network).
# sandbox-dockerfile: docker/sandbox/Dockerfile as a registry user builds it (pip from PyPI), on a
#    debootstrapped stand-in for debian:bookworm-slim; tagged pyfleet-sandbox:dockerfile.
# With a registry, skip the base: docker build -f deploy/node/Dockerfile . uses node:24-bookworm-slim.
# Env: DOCKER_HOST (else scripts/dockerd.sh start), PYFLEET_CACHE_DIR, DEBIAN_MIRROR,
#      PYFLEET_IMAGE_TAG (default latest), PYFLEET_SANDBOX_IMAGE (default pyfleet-sandbox:latest), KIND_CLUSTER (set: `kind load docker-image` the results).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
# node 24 (.node-version) on PATH: the node base copies this node binary into the image
source "$repo/scripts/node-runtime.sh"
what=${1:-all}
tag=${PYFLEET_IMAGE_TAG:-latest}
# the base of the Jupyter and IOC images (scripts/build-sandbox-image.sh builds it under this name)
sandbox_image=${PYFLEET_SANDBOX_IMAGE:-pyfleet-sandbox:latest}
cache_dir=${PYFLEET_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pyfleet}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

if [ -z "${DOCKER_HOST:-}" ]; then
  DOCKER_HOST=$(bash "$repo/scripts/dockerd.sh" start | sed -n 's/^DOCKER_HOST=//p' | tail -1)
  export DOCKER_HOST
fi
docker version --format '{{.Server.Version}}' >/dev/null 2>&1 \
  || { echo "no Docker engine answers at $DOCKER_HOST; start one with: bash scripts/dockerd.sh start" >&2; exit 1; }

# Streams the build context: the repository's files without node_modules, .git or local state.
context_tar() {
  (cd "$repo" && git ls-files -z --cached --others --exclude-standard \
    | grep -zv -e '^bench/' -e '^examples/' -e '\.test\.ts$' \
    | xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh \
    | tar --null -T - -cf -)
}

# The debootstrap'ed rootfs with node and npm, imported once (cached as pyfleet-node-rootfs:24).
node_rootfs() {
  docker image inspect pyfleet-node-rootfs:24 >/dev/null 2>&1 && return 0
  [ "$(id -u)" = 0 ] || { echo "building the node base needs root (debootstrap); run: sudo bash $0" >&2; exit 1; }
  command -v debootstrap >/dev/null || { echo "debootstrap missing: apt-get install -y debootstrap" >&2; exit 1; }
  local node npm_dir work
  node=$(command -v node); npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  "$node" -e 'process.exit(process.versions.node.split(".")[0] === "24" ? 0 : 1)' || { echo "node 24 needed (the runtime of .node-version, scripts/node-runtime.sh)" >&2; exit 1; }
  mkdir -p "$cache_dir"
  work=$(mktemp -d "$cache_dir/node-base.XXXXXX")
  trap 'rm -rf "$work"; trap - RETURN' RETURN
  debootstrap --variant=minbase --include=ca-certificates,tini bookworm "$work/root" "$mirror" >"$work/log" 2>&1 \
    || { tail -20 "$work/log" >&2; exit 1; }
  cp "$node" "$work/root/usr/local/bin/node"
  mkdir -p "$work/root/usr/local/lib/node_modules"
  cp -a "$npm_dir" "$work/root/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$work/root/usr/local/bin/npm"
  rm -rf "$work/root"/var/cache/apt/archives/*.deb "$work/root"/var/lib/apt/lists/* "$work/root"/usr/share/doc/* "$work/root"/usr/share/man/*
  tar -C "$work/root" -cf - . | docker import \
    --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8' --change 'CMD ["node"]' - pyfleet-node-rootfs:24 >/dev/null
  echo "pyfleet-node-rootfs:24 imported"
}

# The base adds this machine's CA bundle: npm and apt in the build reach their registries
# through the same (possibly TLS-intercepting) path as the host does.
node_base() {
  node_rootfs
  local ca=${PYFLEET_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt} work
  work=$(mktemp -d)
  trap 'rm -rf "$work"; trap - RETURN' RETURN
  cp "$ca" "$work/ca-certificates.crt"
  printf '%s\n' 'FROM pyfleet-node-rootfs:24' \
    'COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt' \
    'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' >"$work/Dockerfile"
  docker build -q -t pyfleet-node-base:24 "$work" >/dev/null
  echo "pyfleet-node-base:24 built"
}

build_node() {
  node_base
  context_tar | docker build --network host --build-arg BASE_IMAGE=pyfleet-node-base:24 \
    -f deploy/node/Dockerfile -t "pyfleet-node:$tag" -
  echo "pyfleet-node:$tag built"
}

# A stand-in for the registry's debian:bookworm-slim (this engine cannot pull): a debootstrap'ed
# minbase bookworm with this machine's extra CAs in /usr/local/share/ca-certificates, so pip in a
# build trusts what the host trusts (Debian's ca-certificates adds them when it is installed).
debian_base() {
  docker image inspect "pyfleet-debian:bookworm" >/dev/null 2>&1 && return 0
  [ "$(id -u)" = 0 ] || { echo "building the Debian base needs root (debootstrap); run: sudo bash $0" >&2; exit 1; }
  command -v debootstrap >/dev/null || { echo "debootstrap missing: apt-get install -y debootstrap" >&2; exit 1; }
  local work
  mkdir -p "$cache_dir"
  work=$(mktemp -d "$cache_dir/debian-base.XXXXXX")
  trap 'rm -rf "$work"; trap - RETURN' RETURN
  debootstrap --variant=minbase bookworm "$work/root" "$mirror" >"$work/log" 2>&1 || { tail -20 "$work/log" >&2; exit 1; }
  mkdir -p "$work/root/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$work/root/usr/local/share/ca-certificates/" 2>/dev/null || true
  rm -rf "$work/root"/var/cache/apt/archives/*.deb "$work/root"/var/lib/apt/lists/*
  tar -C "$work/root" -cf - . | docker import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' - pyfleet-debian:bookworm >/dev/null
  echo "pyfleet-debian:bookworm imported (stand-in for debian:bookworm-slim)"
}

# The registry variant of the sandbox image, docker/sandbox/Dockerfile, built as a registry user
# would (wheels from PyPI in the build) on the stand-in base: pyfleet-sandbox:dockerfile.
build_sandbox_dockerfile() {
  debian_base
  (cd "$repo" && tar -cf - python/requirements.lock docker/sandbox/Dockerfile docker/sandbox/install-python.sh) \
    | docker build --network host --build-arg BASE_IMAGE=pyfleet-debian:bookworm \
      -f docker/sandbox/Dockerfile -t "pyfleet-sandbox:dockerfile" -
  echo "pyfleet-sandbox:dockerfile built"
}

build_jupyter() {
  bash "$repo/scripts/build-sandbox-image.sh"
  context_tar | docker build --network host --build-arg BASE_IMAGE="$sandbox_image" \
    -f deploy/jupyter/Dockerfile -t "pyfleet-jupyter:$tag" -
  echo "pyfleet-jupyter:$tag built"
}

# Redis from Debian's redis-server, for hosts that cannot pull redis:7.2-bookworm
# (compose: PYFLEET_REDIS_IMAGE=pyfleet-redis:7; k8s: an overlay image override).
# The simulated storage ring for compose's `ioc` service: sim/ on the sandbox image's python3.
build_ioc() {
  bash "$repo/scripts/build-sandbox-image.sh"
  context_tar | docker build --build-arg BASE_IMAGE="$sandbox_image" \
    -f deploy/ioc/Dockerfile -t "pyfleet-ioc:$tag" -
  echo "pyfleet-ioc:$tag built"
}

build_redis() {
  node_rootfs
  local work
  work=$(mktemp -d)
  trap 'rm -rf "$work"; trap - RETURN' RETURN
  printf '%s\n' 'FROM pyfleet-node-rootfs:24' \
    'RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server && rm -rf /var/lib/apt/lists/* && mkdir -p /data && chown redis:redis /data' \
    'USER redis' 'WORKDIR /data' 'EXPOSE 6379' 'CMD ["redis-server"]' >"$work/Dockerfile"
  docker build --network host -q -t pyfleet-redis:7 "$work" >/dev/null
  echo "pyfleet-redis:7 built"
}

case "$what" in
  node) build_node ;;
  jupyter) build_jupyter ;;
  ioc) build_ioc ;;
  sandbox-dockerfile) build_sandbox_dockerfile ;;
  redis) build_redis ;;
  all) build_node; build_jupyter; build_ioc ;;
  *) echo "usage: $0 [node|jupyter|ioc|sandbox-dockerfile|redis|all]" >&2; exit 2 ;;
esac

if [ -n "${KIND_CLUSTER:-}" ]; then
  for image in "pyfleet-node:$tag" "pyfleet-jupyter:$tag" "pyfleet-ioc:$tag"; do
    docker image inspect "$image" >/dev/null 2>&1 && kind load docker-image --name "$KIND_CLUSTER" "$image"
  done
fi
