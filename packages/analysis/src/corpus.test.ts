import type { AnalysisResult, PvAccess } from "@pyfleet/core";
import { describe, expect, it } from "vitest";
import { createAnalyzer } from "./analyzer.js";
import { FIXED_RULES } from "./rules.js";
import { loadCorpus } from "./corpus.js";

const analyzer = createAnalyzer({});
const cases = loadCorpus();
const INFO_RULES = new Set(["control-write", "control-read", "results-missing", "result-key-missing"]);

const label = (a: PvAccess) => a.pv ?? (a.dynamic ? "*" : "?");
const sorted = (xs: string[]) => [...xs].sort();

/** Multiset intersection size. */
function matched(expected: string[], found: string[]): number {
  const pool = [...found];
  let n = 0;
  for (const e of expected) {
    const i = pool.indexOf(e);
    if (i >= 0) {
      pool.splice(i, 1);
      n++;
    }
  }
  return n;
}

describe("labelled corpus", () => {
  const results = new Map<string, AnalysisResult>();

  it("has at least 300 snippets, traps included", () => {
    expect(cases.length).toBeGreaterThanOrEqual(300);
    expect(cases.filter((c) => c.trap).length).toBeGreaterThanOrEqual(30);
    expect(Object.keys(FIXED_RULES)).toContain("syntax");
  });

  it.each(cases.map((c) => [c.file, c] as const))("%s", async (_file, c) => {
    const r = await analyzer.analyze({ code: c.code, expectedResults: {} });
    results.set(c.file, r);
    const writes = r.pv_writes.map(label);
    expect({ writes: sorted([...new Set(writes)]), reads: sorted([...new Set(r.pv_reads.map(label))]) }).toEqual({
      writes: sorted(c.writes),
      reads: sorted(c.reads),
    });
    expect(r.execution_mode).toBe(c.mode);
    const rules = [...new Set(r.findings.filter((f) => !INFO_RULES.has(f.rule)).map((f) => f.rule))];
    expect(sorted(rules)).toEqual(sorted(c.rules));
    if (c.trap) expect(r.pv_writes).toEqual([]);
  });

  it("prints precision and recall for writes; no missed write, no flagged trap", () => {
    let expected = 0;
    let found = 0;
    let hits = 0;
    const missed: string[] = [];
    const flaggedTraps: string[] = [];
    for (const c of cases) {
      const r = results.get(c.file);
      if (!r) throw new Error(`${c.file} was not analysed`);
      const labels = [...new Set(r.pv_writes.map(label))];
      const m = matched(c.writes, labels);
      expected += c.writes.length;
      found += labels.length;
      hits += m;
      if (m < c.writes.length) missed.push(c.file);
      if (c.trap && r.pv_writes.length > 0) flaggedTraps.push(c.file);
    }
    const precision = found === 0 ? 1 : hits / found;
    const recall = expected === 0 ? 1 : hits / expected;
    console.log(
      `corpus: ${cases.length} snippets, ${expected} labelled writes, ${found} reported; precision ${precision.toFixed(3)}, recall ${recall.toFixed(3)}`,
    );
    expect(missed).toEqual([]);
    expect(flaggedTraps).toEqual([]);
  });
});
