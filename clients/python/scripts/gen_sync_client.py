"""Writes the synchronous client (src/pyfleet/client.py) from the asynchronous one with unasync.

The two clients have one API; only ``await`` and a few names differ, so one is written by hand
(``async_client.py``) and the other generated, never edited. ``--check`` fails when client.py is not
what the generator writes (check.sh runs it), so an edit of either file alone cannot go unnoticed.

Usage: python scripts/gen_sync_client.py [--check]
"""

from __future__ import annotations

import keyword
import subprocess
import sys
import tempfile
from pathlib import Path

import tokenize_rt  # type: ignore[import-untyped]
import unasync  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "src" / "pyfleet" / "async_client.py"
TARGET = ROOT / "src" / "pyfleet" / "client.py"

# Names that differ between the two clients (and between httpx's two clients, and sse.py's parsers).
NAMES = {
    "AsyncClient": "Client",
    "aclose": "close",
    "aread": "read",
    "aiter_lines": "iter_lines",
    "aparse_sse": "parse_sse",
    "asyncio": "time",
}

# The docstrings that say which client a reader is looking at (unasync leaves prose alone).
DOCS = [
    (
        '"""The asynchronous client: the same API as :class:`pyfleet.Client`, with ``await``."""',
        '"""The synchronous client: runs on the producer API, decisions on the approver API.\n\n'
        'Generated from async_client.py by scripts/gen_sync_client.py: edit that file, then run the script."""',
    ),
    (
        '"""Talks to a pyfleet fleet from asyncio code (see :class:`pyfleet.Client` for the arguments).',
        '"""Talks to a pyfleet fleet.',
    ),
]


def drop_await_parens(source: str) -> str:
    """``(await x).y`` needs its parentheses, ``x.y`` does not: removes the pair around each awaited
    expression (a grouping pair: one that follows no name but a keyword, no call and no subscript) before unasync runs."""
    tokens = tokenize_rt.src_to_tokens(source)
    code = [i for i, t in enumerate(tokens) if t.name not in tokenize_rt.NON_CODING_TOKENS]
    drop: set[int] = set()
    for n, i in enumerate(code[:-1]):
        before = tokens[code[n - 1]] if n else None
        grouping = before is None or not ((before.name == "NAME" and not keyword.iskeyword(before.src)) or before.src in (")", "]"))
        if tokens[i].src == "(" and tokens[code[n + 1]].src == "await" and grouping:
            depth = 0
            for j in code[n:]:
                depth += {"(": 1, ")": -1}.get(tokens[j].src, 0)
                if depth == 0:
                    drop |= {i, j}
                    break
    return str(tokenize_rt.tokens_to_src(t for i, t in enumerate(tokens) if i not in drop))


def generate(out: Path) -> None:
    """Writes the synchronous client to ``out`` (formatted and import-sorted by ruff)."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "async" / SOURCE.name
        src.parent.mkdir()
        src.write_text(drop_await_parens(SOURCE.read_text()))
        unasync.unasync_files([str(src)], [unasync.Rule("/async/", "/sync/", additional_replacements=NAMES)])
        text = (Path(tmp) / "sync" / SOURCE.name).read_text()
    for old, new in DOCS:
        if text.count(old) != 1:
            sys.exit(f"gen_sync_client: expected the docstring {old!r} once in {SOURCE.name}; update DOCS in {__file__}")
        text = text.replace(old, new)
    out.write_text(text)
    ruff = Path(sys.executable).parent / "ruff"
    subprocess.run([str(ruff), "check", "--quiet", "--fix", "--select", "I", str(out)], check=True, cwd=ROOT)
    subprocess.run([str(ruff), "format", "--quiet", str(out)], check=True, cwd=ROOT)


def main() -> None:
    if sys.argv[1:] == ["--check"]:
        with tempfile.TemporaryDirectory() as tmp:
            fresh = Path(tmp) / TARGET.name
            generate(fresh)
            if fresh.read_text() != TARGET.read_text():
                sys.exit(f"{TARGET.relative_to(ROOT)} is not generated from {SOURCE.name}: run python scripts/gen_sync_client.py")
        return
    if sys.argv[1:]:
        sys.exit(__doc__)
    generate(TARGET)


if __name__ == "__main__":
    main()
