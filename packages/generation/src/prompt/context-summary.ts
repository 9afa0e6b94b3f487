/**
 * A bounded description of `capability_context_data` for the prompt: paths, types, sizes and a
 * few sample values. The model needs the shape to write `context.A.b`, never the data itself
 * (a 5 MB archive dump would blow the context window and leak data into the LLM provider's logs).
 */
export interface SummaryLimits {
  /** Hard cap on the summary's length in characters. */
  maxChars: number;
  /** Nesting depth below which objects are only counted. */
  maxDepth: number;
  /** Keys listed per object before "... N more keys". */
  maxKeys: number;
  /** Sample elements shown per array. */
  maxSamples: number;
  /** Characters shown of a string sample. */
  maxStringChars: number;
}

export const DEFAULT_SUMMARY_LIMITS: SummaryLimits = {
  maxChars: 4000,
  maxDepth: 4,
  maxKeys: 25,
  maxSamples: 3,
  maxStringChars: 60,
};

/** Summarises the context; returns "" for null/empty data. */
export function summarizeContext(
  data: Record<string, unknown> | null | undefined,
  limits: Partial<SummaryLimits> = {},
): string {
  if (!data || Object.keys(data).length === 0) return "";
  const l = { ...DEFAULT_SUMMARY_LIMITS, ...limits };
  const out: Collector = { lines: [], chars: 0, full: false, budget: l.maxChars - TRUNCATED.length - 1 };
  describeObject(data, "context", 0, l, out);
  if (out.full) out.lines.push(TRUNCATED);
  return out.lines.join("\n");
}

const TRUNCATED = "... (summary truncated: more keys not shown)";
const MAX_LINE = 300;

/** Collects lines until the character budget is spent, then refuses more. */
interface Collector {
  lines: string[];
  chars: number;
  budget: number;
  full: boolean;
}

function push(out: Collector, line: string): boolean {
  if (out.full) return false;
  const text = line.length > MAX_LINE ? `${line.slice(0, MAX_LINE - 3)}...` : line;
  if (out.chars + text.length + 1 > out.budget) {
    out.full = true;
    return false;
  }
  out.lines.push(text);
  out.chars += text.length + 1;
  return true;
}

function describeObject(obj: Record<string, unknown>, path: string, depth: number, l: SummaryLimits, out: Collector) {
  const keys = Object.keys(obj);
  const indent = "  ".repeat(depth);
  for (const key of keys.slice(0, l.maxKeys)) {
    const value = obj[key];
    const childPath = /^[A-Za-z_]\w*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
    if (!push(out, `${indent}- ${childPath}: ${describeValue(value, l)}`)) return;
    if (isPlainObject(value) && depth + 1 < l.maxDepth) describeObject(value, childPath, depth + 1, l, out);
  }
  if (keys.length > l.maxKeys) push(out, `${indent}- ... ${keys.length - l.maxKeys} more keys`);
}

/** One-line description: type, size and samples. */
function describeValue(value: unknown, l: SummaryLimits): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return describeArray(value, l);
  if (isPlainObject(value)) {
    const n = Object.keys(value).length;
    return `object with ${n} key${n === 1 ? "" : "s"}`;
  }
  if (typeof value === "string") return `string (${value.length} chars) ${sampleString(value, l)}`;
  if (typeof value === "number") return `${Number.isInteger(value) ? "int" : "float"} ${value}`;
  if (typeof value === "boolean") return `bool ${value}`;
  return typeof value;
}

function describeArray(arr: unknown[], l: SummaryLimits): string {
  if (arr.length === 0) return "list (empty)";
  const types = new Set(arr.slice(0, 1000).map(typeName));
  const elementType = types.size === 1 ? [...types][0] : `mixed ${[...types].sort().join("|")}`;
  let text = `list of ${arr.length} ${elementType}`;
  if (types.size === 1 && types.has("number")) {
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const v of arr as number[]) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    text += `, min ${min}, max ${max}`;
  }
  const samples = arr.slice(0, l.maxSamples).map((v) => sample(v, l));
  return `${text}, first: [${samples.join(", ")}${arr.length > l.maxSamples ? ", ..." : ""}]`;
}

function sample(v: unknown, l: SummaryLimits): string {
  if (typeof v === "string") return sampleString(v, l);
  if (Array.isArray(v)) return `list(${v.length})`;
  if (isPlainObject(v)) {
    const keys = Object.keys(v);
    return `{${keys.slice(0, 5).join(", ")}${keys.length > 5 ? ", ..." : ""}}`;
  }
  return String(v);
}

function sampleString(s: string, l: SummaryLimits): string {
  return JSON.stringify(s.length > l.maxStringChars ? `${s.slice(0, l.maxStringChars)}...` : s);
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "list";
  if (isPlainObject(v)) return "object";
  return typeof v;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
