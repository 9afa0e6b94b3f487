/** A piece of a Python line with its token class ("" for plain text). */
export interface Token {
  text: string;
  kind: "" | "kw" | "str" | "com" | "num";
}

const KEYWORDS = new Set(
  "import from as def return if elif else for while in not and or with try except finally raise class lambda None True False pass break continue yield global nonlocal assert del is async await".split(" "),
);

/**
 * Splits one line of Python into tokens for colouring (comments, strings, numbers, keywords).
 * Display only: analysis uses a real parser; multi-line strings are coloured line by line.
 */
export function tokenize(line: string): Token[] {
  const out: Token[] = [];
  const re = /(#.*$)|('(?:[^'\\]|\\.)*'?|"(?:[^"\\]|\\.)*"?)|(\b\d+(?:\.\d+)?(?:e[+-]?\d+)?\b)|([A-Za-z_]\w*)/g;
  let last = 0;
  for (let m = re.exec(line); m; m = re.exec(line)) {
    if (m.index > last) out.push({ text: line.slice(last, m.index), kind: "" });
    const [text, com, str, num, word] = m;
    const kind = com ? "com" : str ? "str" : num ? "num" : word && KEYWORDS.has(word) ? "kw" : "";
    out.push({ text, kind });
    last = re.lastIndex;
  }
  if (last < line.length) out.push({ text: line.slice(last), kind: "" });
  return out;
}
