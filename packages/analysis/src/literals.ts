import { type PyNode, field, namedChildren, text } from "./py-node.js";

/** Positional and keyword arguments of a call. */
export interface CallArgs {
  positional: PyNode[];
  keywords: ReadonlyMap<string, PyNode>;
}

/** The keywords of the many calls that pass none (one map instead of one per call). */
const NO_KEYWORDS: ReadonlyMap<string, PyNode> = new Map();

export function callArgs(src: string, call: PyNode): CallArgs {
  const positional: PyNode[] = [];
  let keywords: Map<string, PyNode> | null = null;
  const list = field(call, "arguments");
  if (list && list.type === "argument_list") {
    for (const a of list.children) {
      if (!a.named) continue;
      if (a.type === "keyword_argument") {
        const name = field(a, "name");
        const value = field(a, "value");
        if (!name || !value) continue;
        keywords ??= new Map();
        keywords.set(text(src, name), value);
      } else if (a.type !== "comment") positional.push(a);
    }
  } else if (list) positional.push(list);
  return { positional, keywords: keywords ?? NO_KEYWORDS };
}

/** Plain string value of a literal without interpolation, else null. */
export function literal(src: string, node: PyNode): string | null {
  if (node.type === "concatenated_string") {
    let out = "";
    for (const c of namedChildren(node)) {
      const part = literal(src, c);
      if (part === null) return null;
      out += part;
    }
    return out;
  }
  if (node.type !== "string") return null;
  let out = "";
  for (const c of node.children) {
    if (c.type === "interpolation") return null;
    if (c.type === "string_content") out += content(src, c);
  }
  return out;
}

/** Text of a string_content node with simple escape sequences decoded. */
function content(src: string, node: PyNode): string {
  let out = "";
  let at = node.startIndex;
  for (const e of node.children) {
    if (e.type !== "escape_sequence") continue;
    out += src.slice(at, e.startIndex) + decodeEscape(text(src, e));
    at = e.endIndex;
  }
  return out + src.slice(at, node.endIndex);
}

const ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\", "'": "'", '"': '"', "0": "\0" };

/** Decodes a simple escape sequence (`\n`, `\t`, `\\`, quotes); others stay as written. */
function decodeEscape(seq: string): string {
  return ESCAPES[seq.slice(1)] ?? seq;
}

