import { PyfleetError } from "@pyfleet/core";

/** Where the code came from. */
export interface ExtractedCode {
  code: string;
  /** `fenced`: one or more fenced blocks; `plain`: the whole reply was code without fences. */
  source: "fenced" | "plain";
  blocks: number;
}

const PYTHON_LABELS = new Set(["python", "py", "python3", "ipython", "ipython3"]);
const OPEN_FENCE = /^ {0,3}(`{3,}|~{3,})[ \t]*([^\s`]*)[^`]*$/;
const EXCERPT_CHARS = 600;
/** The message is fed back to the model, so it quotes a shorter excerpt than `details`. */
const MESSAGE_EXCERPT_CHARS = 200;

/**
 * Takes the Python out of a model reply.
 *
 * Rules, in order:
 * 1. Fenced blocks (``` or ~~~, CommonMark style: the closing fence is a line of its own with at
 *    least as many fence characters). A fence-looking line inside a Python triple-quoted string
 *    does not close the block, so backticks in strings survive. An unclosed block runs to the end.
 * 2. If any block is labelled python/py/python3/ipython, only those are used; otherwise the
 *    unlabelled blocks are. Blocks labelled anything else (bash, json, text) are never code.
 *    The chosen blocks are joined in order with a blank line.
 * 3. A reply without any fence is accepted as code only when every top-level line starts like a
 *    Python statement (import, def, assignment, call, comment, ...). One prose line rejects it.
 * @throws PyfleetError NO_CODE_IN_REPLY (code category) with an excerpt of the reply in details.
 */
export function extractCode(reply: string): ExtractedCode {
  const text = reply.replace(/\r\n?/g, "\n");
  const blocks = fencedBlocks(text);
  const python = blocks.filter((b) => PYTHON_LABELS.has(b.label));
  const chosen = (python.length > 0 ? python : blocks.filter((b) => b.label === "")).filter((b) => b.body.trim() !== "");
  if (chosen.length > 0) {
    return { code: `${chosen.map((b) => trimBlankEdges(b.body)).join("\n\n")}\n`, source: "fenced", blocks: chosen.length };
  }
  if (blocks.length === 0 && looksLikePlainPython(text)) {
    return { code: `${trimBlankEdges(text)}\n`, source: "plain", blocks: 0 };
  }
  const short = text.trim().slice(0, MESSAGE_EXCERPT_CHARS);
  const quoted = short ? `; the reply began: "${short}${text.trim().length > short.length ? "..." : ""}"` : "; the reply was empty";
  throw new PyfleetError("NO_CODE_IN_REPLY", `the reply held no \`\`\`python code block${quoted}`, {
    details: {
      excerpt: text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS)}...` : text,
      replyChars: text.length,
      blocksFound: blocks.map((b) => b.label || "(unlabelled)"),
    },
  });
}

interface Block {
  label: string;
  body: string;
}

function fencedBlocks(text: string): Block[] {
  const lines = text.split("\n");
  const out: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const open = OPEN_FENCE.exec(lines[i] as string);
    i++;
    if (!open) continue;
    const fence = open[1] as string;
    const label = (open[2] ?? "").toLowerCase();
    const closer = new RegExp(`^ {0,3}${fence[0] === "`" ? "`" : "~"}{${fence.length},}[ \\t]*$`);
    const tracker = PYTHON_LABELS.has(label) || label === "" ? new TripleQuoteTracker() : null;
    const body: string[] = [];
    while (i < lines.length) {
      const line = lines[i] as string;
      i++;
      if (closer.test(line) && !tracker?.inside) break;
      body.push(line);
      tracker?.feed(line);
    }
    out.push({ label, body: body.join("\n") });
  }
  return out;
}

/**
 * Follows Python string state across lines just far enough to know whether a line starts inside
 * a triple-quoted string. Comments and single-line strings are skipped so their quotes count not.
 */
class TripleQuoteTracker {
  private delimiter: string | null = null;

  get inside(): boolean {
    return this.delimiter !== null;
  }

  feed(line: string): void {
    let i = 0;
    while (i < line.length) {
      if (this.delimiter) {
        const end = findUnescaped(line, this.delimiter, i);
        if (end < 0) return;
        i = end + 3;
        this.delimiter = null;
        continue;
      }
      const c = line[i];
      if (c === "#") return;
      if (c === '"' || c === "'") {
        const triple = c.repeat(3);
        if (line.startsWith(triple, i)) {
          this.delimiter = triple;
          i += 3;
          continue;
        }
        const end = findUnescaped(line, c, i + 1);
        if (end < 0) return;
        i = end + 1;
        continue;
      }
      i++;
    }
  }
}

function findUnescaped(line: string, needle: string, from: number): number {
  for (let i = from; i < line.length; i++) {
    if (line[i] === "\\") {
      i++;
      continue;
    }
    if (line.startsWith(needle, i)) return i;
  }
  return -1;
}

const STATEMENT_START =
  /^(#|@|import\s|from\s+[\w.]+\s+import\s|def\s|async\s+def\s|class\s|if\s|elif\s|else\s*:|for\s|while\s|with\s|try\s*:|except\b|finally\s*:|return\b|raise\b|assert\s|pass\b|break\b|continue\b|global\s|del\s|print\(|[A-Za-z_][\w.]*(\[[^\]]*\])*\s*(=|\+=|-=|\*=|\/=)|[A-Za-z_][\w.]*\s*,\s*[A-Za-z_][\w.,\s]*=|[A-Za-z_][\w.]*\(|[)\]}]|"""|''')/;

/** Conservative: every line at indentation 0 (outside brackets) must start like a statement. */
function looksLikePlainPython(text: string): boolean {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  if (lines.length === 0) return false;
  let depth = 0;
  for (const line of lines) {
    const topLevel = depth === 0 && !/^\s/.test(line);
    if (topLevel && !STATEMENT_START.test(line)) return false;
    for (const ch of line.replace(/(["'])(?:\\.|(?!\1).)*\1/g, "").replace(/#.*$/, "")) {
      if ("([{".includes(ch)) depth++;
      else if (")]}".includes(ch)) depth = Math.max(0, depth - 1);
    }
  }
  return true;
}

function trimBlankEdges(s: string): string {
  return s.replace(/^(\s*\n)+/, "").trimEnd();
}
