import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** Expected outcome of one corpus snippet, from its header comment. */
export interface CorpusCase {
  file: string;
  code: string;
  /** PV labels: the name, `?` for a write whose name is not literal, `*` for an assumed dynamic write. */
  writes: string[];
  reads: string[];
  mode: "read_only" | "write_access";
  /** Non-informational rule ids expected (security, syntax, dynamic-control-access). */
  rules: string[];
  /** A trap: code that looks like a control-system access but is not one. */
  trap: boolean;
}

export const CORPUS_DIR = new URL("./corpus/", import.meta.url);

function list(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Parses `# key: value` header lines (writes, reads, mode, rules, trap) at the top of a snippet. */
export function parseCase(file: string, code: string): CorpusCase {
  const header = new Map<string, string>();
  for (const line of code.split("\n")) {
    const m = /^# (writes|reads|mode|rules|trap):(.*)$/.exec(line);
    if (!m) break;
    header.set(m[1]!, m[2]!.trim());
  }
  const mode = header.get("mode");
  if (mode !== "read_only" && mode !== "write_access") throw new Error(`${file}: header needs "# mode: read_only|write_access"`);
  if (!header.has("writes") || !header.has("reads") || !header.has("rules")) throw new Error(`${file}: header needs writes, reads and rules lines`);
  return {
    file,
    code,
    writes: list(header.get("writes")),
    reads: list(header.get("reads")),
    mode,
    rules: list(header.get("rules")),
    trap: header.get("trap") === "yes",
  };
}

/** Every snippet of the corpus, sorted by file name. */
export function loadCorpus(dir: URL = CORPUS_DIR): CorpusCase[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".py"))
    .sort()
    .map((f) => parseCase(f, readFileSync(join(dir.pathname, f), "utf8")));
}
