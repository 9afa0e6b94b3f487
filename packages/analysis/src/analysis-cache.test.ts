import { afterEach, describe, expect, it, vi } from "vitest";
import { AnalysisCache } from "./analysis-cache.js";
import { createAnalyzer } from "./analyzer.js";
import { PythonParser } from "./parser.js";

const CODE = 'from epics import caput\ncaput("SR:MAG:QF1:CURRENT_SP", 101.5)\nresults = {"ok": True}\n';

afterEach(() => vi.restoreAllMocks());

describe("analysis cache by code hash", () => {
  it("analyses the same code once: a retry gets the stored verdict without a parse", async () => {
    const cache = new AnalysisCache();
    const analyzer = createAnalyzer({}, { cache });
    const parse = vi.spyOn(PythonParser.prototype, "parse");
    const first = await analyzer.analyze({ code: CODE, expectedResults: { ok: null } });
    const second = await analyzer.analyze({ code: CODE, expectedResults: { ok: null } });
    expect(parse).toHaveBeenCalledTimes(1);
    expect(cache.hits).toBe(1);
    expect({ ...second, duration_ms: 0 }).toEqual({ ...first, duration_ms: 0 });
    expect(second.pv_writes.map((w) => w.pv)).toEqual(["SR:MAG:QF1:CURRENT_SP"]);
  });

  it("analyses again when the code or the expected result keys differ", async () => {
    const analyzer = createAnalyzer({}, { cache: new AnalysisCache() });
    const parse = vi.spyOn(PythonParser.prototype, "parse");
    const a = await analyzer.analyze({ code: CODE, expectedResults: { ok: null } });
    const b = await analyzer.analyze({ code: CODE, expectedResults: { ok: null, missing: null } });
    const c = await analyzer.analyze({ code: `${CODE}\n`, expectedResults: { ok: null } });
    expect(parse).toHaveBeenCalledTimes(3);
    expect(a.findings.some((f) => f.rule === "result-key-missing")).toBe(false);
    expect(b.findings.some((f) => f.rule === "result-key-missing")).toBe(true);
    expect(c.pv_writes).toHaveLength(1);
    // key order does not matter
    expect(AnalysisCache.key({ code: CODE, expectedResults: { a: 1, b: 2 } })).toBe(AnalysisCache.key({ code: CODE, expectedResults: { b: 2, a: 1 } }));
  });

  it("hands out copies: changing a result does not change what the next caller gets", async () => {
    const analyzer = createAnalyzer({}, { cache: new AnalysisCache() });
    const first = await analyzer.analyze({ code: CODE, expectedResults: {} });
    first.pv_writes.length = 0;
    first.passed = false;
    const second = await analyzer.analyze({ code: CODE, expectedResults: {} });
    expect(second.pv_writes).toHaveLength(1);
    expect(second.passed).toBe(true);
  });

  it("drops the least recently used entry beyond its size; size 0 disables it", async () => {
    const cache = new AnalysisCache(2);
    const analyzer = createAnalyzer({}, { cache });
    for (const n of [1, 2, 1, 3]) await analyzer.analyze({ code: `x = ${n}\n`, expectedResults: {} });
    expect(cache.size).toBe(2);
    const parse = vi.spyOn(PythonParser.prototype, "parse");
    await analyzer.analyze({ code: "x = 1\n", expectedResults: {} });
    await analyzer.analyze({ code: "x = 2\n", expectedResults: {} });
    expect(parse).toHaveBeenCalledTimes(1);
    const off = new AnalysisCache(0);
    const uncached = createAnalyzer({}, { cache: off });
    await uncached.analyze({ code: "x = 1\n", expectedResults: {} });
    await uncached.analyze({ code: "x = 1\n", expectedResults: {} });
    expect([off.size, off.hits]).toEqual([0, 0]);
    expect(() => new AnalysisCache(-1)).toThrow(/non-negative integer/);
  });
});
