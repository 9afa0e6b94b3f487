import { AnalysisResultSchema } from "@pyfleet/core";
import { describe, expect, it } from "vitest";
import { createAnalyzer } from "./analyzer.js";
import { loadCorpus } from "./corpus.js";

const analyzer = createAnalyzer({});

describe("robustness", () => {
  it("never throws on truncated or shuffled code and always returns a valid result", async () => {
    const cases = loadCorpus();
    let analysed = 0;
    for (const [i, c] of cases.entries()) {
      const cuts = [0.3, 0.55, 0.8].map((f) => Math.floor(c.code.length * f));
      const variants = [...cuts.map((n) => c.code.slice(0, n)), c.code.split("\n").reverse().join("\n"), c.code.replaceAll("(", "")];
      for (const code of variants) {
        const r = await analyzer.analyze({ code, expectedResults: { k: i } });
        expect(AnalysisResultSchema.safeParse(r).success).toBe(true);
        analysed++;
      }
    }
    expect(analysed).toBe(cases.length * 5);
  });

  it("survives deeply nested code", async () => {
    const deep = `${"(".repeat(3000)}1${")".repeat(3000)}\nwhile True:\n    if x:\n        ${"[".repeat(500)}${"]".repeat(500)}\n`;
    const r = await analyzer.analyze({ code: deep, expectedResults: {} });
    expect(AnalysisResultSchema.safeParse(r).success).toBe(true);
  });

  it("a write stays detected however deep the expression around it is", async () => {
    const code = `import epics\nx = ${"f(".repeat(200)}epics.caput("DEEP:1", 1)${")".repeat(200)}\n`;
    const r = await analyzer.analyze({ code, expectedResults: {} });
    expect(r.pv_writes.map((w) => w.pv)).toEqual(["DEEP:1"]);
  });
});
