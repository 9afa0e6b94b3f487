"""pyfleet docker entry: runs the shared harness in-process, then appends its report to stdout.

Usage (as the container's command):
``python3 /pyfleet/pyfleet_docker_entry.py MARKER_HEX MAX_FILE_BYTES <harness args>``.

The sandbox has a read-only root and a tmpfs work dir, which ``docker cp`` cannot read back on
every engine, so the result travels on stdout after a per-run marker that the backend splits
off: ``{"report": <harness report>, "files": [{"path", "data" (base64)}], "files_skipped": n}``,
where ``files`` are the regular files the code left in the work dir (up to MAX_FILE_BYTES in all),
so they land in the attempt folder as they do with the local backend.
Exit code: the harness's (0 = report written); a process that dies early writes no report.
"""

import base64
import json
import os
import shutil
import sys

INPUT_DIR = "/pyfleet"
BAKED_MPL_CACHE = "/opt/pyfleet/matplotlib"


def work_files(root: str, limit: int) -> tuple[list[dict[str, str]], int]:
    """Regular files under ``root`` (no symlinks, FIFOs or devices), smallest total first fit."""
    files: list[dict[str, str]] = []
    skipped = 0
    total = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            size = os.path.getsize(path)
            if total + size > limit:
                skipped += 1
                continue
            with open(path, "rb") as fh:
                data = fh.read(limit - total + 1)
            if total + len(data) > limit:
                skipped += 1
                continue
            total += len(data)
            files.append({"path": os.path.relpath(path, root), "data": base64.b64encode(data).decode("ascii")})
    return files, skipped


def main() -> int:
    marker = bytes.fromhex(sys.argv[1])
    max_file_bytes = int(sys.argv[2])
    args = sys.argv[3:]
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
        with open(report_path, encoding="utf-8") as fh:
            report = json.load(fh)
        files, skipped = work_files(os.getcwd(), max_file_bytes)
        envelope = {"report": report, "files": files, "files_skipped": skipped}
        out = sys.stdout.buffer
        out.write(marker)
        out.write(json.dumps(envelope, allow_nan=False).encode("utf-8"))
        out.flush()
    return rc


if __name__ == "__main__":
    sys.exit(main())
