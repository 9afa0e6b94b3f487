"""Copy-on-write faults taken ahead: which of the fork-server parent's pages a figure run writes,
and writing them in a spare child while it waits for its job.

A child forked from the warm parent shares its memory; the first write to each shared 4 KiB page
copies it (a page fault). A one-figure run writes ~3,000 of the parent's pages this way (Python
3.11 writes to every object it touches, code objects included: reference counts and the adaptive
interpreter's counters), ~14 ms of CPU in the run. Which pages those are depends on the parent's
memory layout only, which is fixed once the parent has preloaded, so the parent finds them once
(:func:`probe_pages`: a probe child draws a figure and reads ``/proc/self/pagemap``), and a spare
copies them in bulk before its job arrives (:func:`prefault`, ``MADV_POPULATE_WRITE``): the data
is unchanged, only the copies are made earlier. Python 3.11 standard library only; Linux only
(elsewhere both are no-ops).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import select
import struct
import sys
import time
from collections.abc import Callable

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_MADV_POPULATE_WRITE = 23  # Linux 5.14+
#: pagemap entry bits: page present, page exclusively mapped (not shared with the parent)
_PRESENT = 1 << 63
_EXCLUSIVE = 1 << 56
#: ranges written between two looks at whether the job has arrived (~0.1-0.2 ms of work)
_CHUNK = 32

Ranges = list[tuple[int, int]]


def _writable_regions() -> list[tuple[int, int]]:
    """The process's private writable mappings (heap, anonymous memory, modules' data)."""
    regions = []
    with open("/proc/self/maps", encoding="ascii") as maps:
        for line in maps:
            parts = line.split(maxsplit=5)
            if parts[1].startswith("rw") and parts[1].endswith("p"):
                start, end = (int(x, 16) for x in parts[0].split("-"))
                regions.append((start, end))
    return regions


def _exclusive_pages(regions: list[tuple[int, int]]) -> set[int]:
    """Pages of ``regions`` this process maps alone (written since the fork, or new)."""
    pages: set[int] = set()
    with open("/proc/self/pagemap", "rb", buffering=0) as pagemap:
        for start, end in regions:
            pagemap.seek(start // _PAGE * 8)
            data = pagemap.read((end - start) // _PAGE * 8)
            for i, (entry,) in enumerate(struct.iter_unpack("<Q", data)):
                if entry & _PRESENT and entry & _EXCLUSIVE:
                    pages.add(start + i * _PAGE)
    return pages


def _coalesce(pages: list[int]) -> Ranges:
    ranges: Ranges = []
    for page in sorted(pages):
        if ranges and ranges[-1][0] + ranges[-1][1] == page:
            ranges[-1] = (ranges[-1][0], ranges[-1][1] + _PAGE)
        else:
            ranges.append((page, _PAGE))
    return ranges


def probe_pages(prepare: Callable[[], object], run: Callable[[], object], timeout_s: float = 20.0) -> Ranges:
    """The parent's pages that ``run`` writes in a forked child after ``prepare`` (what a spare
    already did), as ``(address, length)`` ranges; empty when they cannot be found.

    Call it in the parent once its memory is final (after its imports and ``gc.freeze()``).
    The probe child has no stdin or stdout (the parent's are its protocol); it is killed after
    ``timeout_s``.
    """
    if not sys.platform.startswith("linux"):
        return []
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(rfd)
            devnull = os.open(os.devnull, os.O_RDWR)
            os.dup2(devnull, 0)
            os.dup2(devnull, 1)
            prepare()
            regions = _writable_regions()
            before = _exclusive_pages(regions)
            run()
            written = sorted(_exclusive_pages(regions) - before)
            data = json.dumps(_coalesce(written)).encode("ascii")
            while data:
                data = data[os.write(wfd, data) :]
            code = 0
        finally:
            os._exit(code)
    os.close(wfd)
    chunks = []
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([rfd], [], [], left)[0]:
                os.kill(pid, 9)
                return []
            chunk = os.read(rfd, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(rfd)
        os.waitpid(pid, 0)
    try:
        return [(int(a), int(n)) for a, n in json.loads(b"".join(chunks))]
    except ValueError:
        return []  # the probe failed before it wrote anything


def prefault(ranges: Ranges, stop: Callable[[], bool]) -> int:
    """Writes every page of ``ranges`` (private copies, same data) until ``stop()`` says the job
    is there; returns the pages done. Best effort: a kernel without ``MADV_POPULATE_WRITE``
    refuses the first range and nothing more is tried; a range that is no longer mapped is skipped.
    """
    if not ranges or not sys.platform.startswith("linux"):
        return 0
    madvise = ctypes.CDLL(None, use_errno=True).madvise
    madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    done = 0
    for i, (address, length) in enumerate(ranges):
        if i % _CHUNK == 0 and stop():
            break
        if madvise(address, length, _MADV_POPULATE_WRITE) == 0:
            done += length // _PAGE
        elif ctypes.get_errno() == 22:  # EINVAL: this kernel does not know the advice
            break
    return done


def page_count(ranges: Ranges) -> int:
    """How many pages ``ranges`` cover."""
    return sum(length for _, length in ranges) // _PAGE


def readable(sock: object) -> bool:
    """True when ``sock`` (anything with ``fileno()``) has data to read now."""
    with contextlib.suppress(OSError, ValueError):
        return bool(select.select([sock], [], [], 0)[0])
    return True
