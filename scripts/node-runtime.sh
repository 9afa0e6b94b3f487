# Sourced (not run) by every entry point (bootstrap, test, demo, CI, bench): puts the Node.js
# runtime pyfleet runs on, the version in .node-version (Node 24 LTS), first on PATH.
#
# Why not the machine's node: these machines have Node 20, which reached end of life on
# 2026-04-30, and on Node 20 AsyncLocalStorage (which LangGraph installs in every process) runs on
# promise hooks; Node 24 backs it with AsyncContextFrame. Measured side by side on one 2-core
# machine (docs/performance.md, "Session 9 (runtime)"): the fleet's CPU per run over every process
# 35.4 -> 25.1 ms, the pipeline alone 6.4 -> 4.1 ms.
#
# Where it comes from: a node already on PATH with the same major version is used as it is (a
# node:24 image, a developer's machine). Otherwise the pinned build from the npm registry
# (`node-linux-<arch>`, the official binary as the npm `node` package ships it; nodejs.org is not
# reachable from these machines), checked against the sha512 integrity pinned below, unpacked into
# .cache/node/ once. Nothing outside the checkout is changed.
# Env: PYFLEET_NODE=system keeps whatever node is on PATH (no check, no download).

pyfleet_node_runtime() {
  local repo want have arch integrity dir tmp got
  repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  want=$(tr -d ' \n\r' <"$repo/.node-version")
  [ "${PYFLEET_NODE:-}" = system ] && return 0
  have=$(node -p 'process.versions.node' 2>/dev/null || true)
  [ "${have%%.*}" = "${want%%.*}" ] && return 0
  case "$(uname -m)" in
    x86_64) arch=x64; integrity=sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA== ;;
    aarch64) arch=arm64; integrity=sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFEF/2O5vGI2hcUbyPNHV+nz342FbJXw== ;;
    *) echo "node-runtime: no pinned Node $want build for $(uname -m); install Node $want and put it on PATH" >&2; return 1 ;;
  esac
  dir="$repo/.cache/node/v$want-linux-$arch"
  if [ ! -x "$dir/bin/node" ]; then
    command -v npm >/dev/null || { echo "node-runtime: npm is needed once to fetch Node $want (apt-get install -y npm, or install Node $want)" >&2; return 1; }
    echo "node-runtime: fetching Node $want (node-linux-$arch@$want from the npm registry, ~40 MB)" >&2
    tmp=$(mktemp -d)
    got=$(cd "$tmp" && npm pack "node-linux-$arch@$want" --json --silent 2>/dev/null | sed -n 's/.*"integrity": "\(sha512-[^"]*\)".*/\1/p' | head -1)
    if [ "$got" != "$integrity" ]; then
      rm -rf "$tmp"
      echo "node-runtime: node-linux-$arch@$want: integrity ${got:-missing} is not the pinned $integrity; refusing it" >&2
      return 1
    fi
    mkdir -p "$tmp/x" && tar -xzf "$tmp"/node-linux-"$arch"-*.tgz -C "$tmp/x"
    mkdir -p "$(dirname "$dir")" && rm -rf "$dir" && mv "$tmp/x/package" "$dir"
    rm -rf "$tmp"
  fi
  "$dir/bin/node" -e '0' || { echo "node-runtime: $dir/bin/node does not start" >&2; return 1; }
  PATH="$dir/bin:$PATH"
  export PATH
}

pyfleet_node_runtime
