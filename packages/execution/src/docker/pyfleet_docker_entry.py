"""pyfleet docker entry: runs the shared harness in-process, then appends its report to stdout.

Usage (as the container's command): ``python3 /pyfleet/pyfleet_docker_entry.py MARKER_HEX <harness args>``.

The sandbox has a read-only root and a tmpfs work dir, which ``docker cp`` cannot read back on
every engine, so the report travels on stdout after a per-run marker that the backend splits off.
Exit code: the harness's (0 = report written); a process that dies early writes no report.
"""

import os
import shutil
import sys

INPUT_DIR = "/pyfleet"
BAKED_MPL_CACHE = "/opt/pyfleet/matplotlib"


def main() -> int:
    marker = bytes.fromhex(sys.argv[1])
    args = sys.argv[2:]
    report_path = args[args.index("--report") + 1]
    # matplotlib wants a writable config dir; seed it with the font cache baked into the image.
    mpl_dir = os.environ.get("MPLCONFIGDIR")
    if mpl_dir and os.path.isdir(BAKED_MPL_CACHE) and not os.path.exists(mpl_dir):
        shutil.copytree(BAKED_MPL_CACHE, mpl_dir)
    sys.path.insert(0, INPUT_DIR)
    import pyfleet_harness  # noqa: PLC0415  (lives in INPUT_DIR)

    # The inputs folder must not shadow modules for the user code (e.g. a stdlib `code`).
    sys.path[:] = [p for p in sys.path if p != INPUT_DIR]
    rc = pyfleet_harness.main(args)
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    if rc == 0:
        with open(report_path, "rb") as fh:
            data = fh.read()
        out = sys.stdout.buffer
        out.write(marker)
        out.write(data)
        out.flush()
    return rc


if __name__ == "__main__":
    sys.exit(main())
