import { LineCounter, parseDocument } from "yaml";
import type { ConfigIssue } from "./issues.js";

type Segments = (string | number)[];
type Position = Pick<ConfigIssue, "line" | "column">;
type Ranged = { range?: [number, number, number] } | undefined;

/** A parsed YAML file that can say where a path is written, for messages with line numbers. */
export interface YamlSource {
  /** The plain value of the document (`undefined` for an empty file). */
  value: unknown;
  /** Syntax errors, each with its line. */
  errors: ConfigIssue[];
  /** True when the path is written in the file. */
  has(segments: Segments): boolean;
  /** Where the value at `segments` (or its nearest written ancestor) starts. */
  locate(segments: Segments): Position;
  /** Where the key named by the last segment is written (falls back to {@link locate}). */
  locateKey(segments: Segments): Position;
}

export function parseYamlSource(text: string): YamlSource {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const position = (offset: number): Position => {
    const pos = lines.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  const locate = (segments: Segments): Position => {
    for (let n = segments.length; n > 0; n--) {
      const node = doc.getIn(segments.slice(0, n), true) as Ranged;
      if (node?.range) return position(node.range[0]);
    }
    return {};
  };
  return {
    value: doc.errors.length > 0 ? undefined : doc.toJS({ maxAliasCount: 100 }),
    errors: doc.errors.map((e) => ({ path: "(yaml)", message: e.message.split("\n")[0] ?? e.message, ...position(e.pos[0]) })),
    has: (segments) => doc.hasIn(segments),
    locate,
    locateKey(segments) {
      const parent = (segments.length > 1 ? doc.getIn(segments.slice(0, -1), true) : doc.contents) as
        | { items?: Array<{ key?: unknown }> }
        | undefined;
      const name = segments[segments.length - 1];
      const pair = parent?.items?.find((p) => (p.key as { value?: unknown } | undefined)?.value === name);
      const range = (pair?.key as Ranged)?.range;
      return range ? position(range[0]) : locate(segments);
    },
  };
}
