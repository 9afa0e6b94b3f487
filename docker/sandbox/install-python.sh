#!/bin/sh
# The one recipe of pyfleet's sandbox image contents, run as root INSIDE the image's root filesystem:
#   sh install-python.sh LOCK [WHEEL_DIR]
# by scripts/build-sandbox-image.sh (in a chroot of a debootstrap'ed bookworm, offline, with the
# lock's wheels fetched on the host into WHEEL_DIR) and by docker/sandbox/Dockerfile (a RUN step
# on debian:bookworm-slim, wheels from PyPI). Both images are therefore the same:
# - Debian gives only the interpreter (python3 3.11, the project venv's) and python3-venv (pip for
#   this one step); every Python package comes from the hashed lock (pip --require-hashes --no-deps,
#   wheels only) into /usr/local/lib/python3.11/dist-packages, on Debian's python3's path;
# - matplotlib's font cache is built once into /opt/pyfleet/matplotlib (containers copy it to their
#   writable tmpfs, so runs do not rebuild it);
# - /work belongs to the sandbox user 65534; apt lists, caches, docs and locales are removed.
set -eu
lock=${1:?usage: install-python.sh LOCK [WHEEL_DIR]}
wheels=${2:-}
site=/usr/local/lib/python3.11/dist-packages

apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 python3-venv >/dev/null
# The lock is resolved for CPython 3.11 (python/requirements.in): another interpreter would take
# wheels that do not load.
python3 -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "install-python.sh: python3 is %d.%d; the lock is for 3.11 (Debian bookworm)" % sys.version_info[:2])'

python3 -m venv /tmp/pyfleet-pip
if [ -n "$wheels" ]; then
  /tmp/pyfleet-pip/bin/pip install --quiet --no-cache-dir --no-index --find-links "$wheels" \
    --require-hashes --no-deps --only-binary=:all: --target "$site" -r "$lock"
else
  /tmp/pyfleet-pip/bin/pip install --quiet --no-cache-dir --disable-pip-version-check \
    --require-hashes --no-deps --only-binary=:all: --target "$site" -r "$lock"
fi
rm -rf /tmp/pyfleet-pip

mkdir -p /opt/pyfleet/matplotlib /work
MPLCONFIGDIR=/opt/pyfleet/matplotlib MPLBACKEND=Agg /usr/bin/python3 -c \
  'import matplotlib.pyplot as plt, numpy, pandas, epics, caproto; plt.figure(); plt.plot([1, 2]); plt.savefig("/dev/null", format="png")'
chmod -R a+rX /opt/pyfleet
chown 65534:65534 /work

rm -rf /var/cache/apt/archives/*.deb /var/cache/apt/*.bin /var/lib/apt/lists/* \
  /usr/share/doc/* /usr/share/man/* /usr/share/locale/*
