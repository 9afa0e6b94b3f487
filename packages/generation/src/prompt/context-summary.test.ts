import { describe, expect, it } from "vitest";
import { summarizeContext } from "./context-summary.js";

describe("summarizeContext", () => {
  it("describes keys, types, sizes and samples", () => {
    const s = summarizeContext({
      PV_VALUES: { "SR:DCCT": 12.5, count: 3, ok: true, note: null },
      series: [1, 5, 3, 2],
      names: ["a", "b", "c", "d", "e"],
      rows: [{ t: 1, v: 2 }],
      label: "x".repeat(100),
    });
    expect(s).toContain("- context.PV_VALUES: object with 4 keys");
    expect(s).toContain('  - context.PV_VALUES["SR:DCCT"]: float 12.5');
    expect(s).toContain("  - context.PV_VALUES.count: int 3");
    expect(s).toContain("  - context.PV_VALUES.ok: bool true");
    expect(s).toContain("  - context.PV_VALUES.note: null");
    expect(s).toContain("- context.series: list of 4 number, min 1, max 5, first: [1, 5, 3, ...]");
    expect(s).toContain('- context.names: list of 5 string, first: ["a", "b", "c", ...]');
    expect(s).toContain("- context.rows: list of 1 object, first: [{t, v}]");
    expect(s).toContain(`- context.label: string (100 chars) "${"x".repeat(60)}..."`);
  });

  it("returns an empty string for no data", () => {
    expect(summarizeContext(null)).toBe("");
    expect(summarizeContext(undefined)).toBe("");
    expect(summarizeContext({})).toBe("");
  });

  it("stays within its budget for a 5 MB context and never includes the bulk data", () => {
    const values = Array.from({ length: 200_000 }, (_, i) => Math.round(Math.sin(i) * 1e6) / 1e3);
    const ctx: Record<string, unknown> = {
      ARCHIVER: {
        beam: { values, timestamps: values.map((_, i) => `2026-11-26T09:${String(i % 60).padStart(2, "0")}:00Z`) },
      },
    };
    for (let i = 0; i < 500; i++) ctx[`PV_${i}`] = { value: i, desc: `channel ${i} `.repeat(20) };
    const size = Buffer.byteLength(JSON.stringify(ctx));
    expect(size).toBeGreaterThan(5_000_000);

    const t0 = performance.now();
    const s = summarizeContext(ctx, { maxChars: 4000 });
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(s.length).toBeLessThanOrEqual(4000);
    expect(s).toContain("- context.ARCHIVER.beam.values: list of 200000 number, min -1000, max 1000");
    expect(s).toContain("- context.ARCHIVER.beam.timestamps: list of 200000 string");
    expect(s.endsWith("... (summary truncated: more keys not shown)") || s.includes("more keys")).toBe(true);
    // a value from deep inside the array is not there
    expect(s).not.toContain(String(values[150_000]));
  });

  it("lists only the first keys of a wide object", () => {
    const wide = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, i]));
    const s = summarizeContext(wide, { maxKeys: 10, maxChars: 10_000 });
    expect(s.split("\n")).toHaveLength(11);
    expect(s).toContain("- ... 90 more keys");
  });
});
