import { describe, expect, it } from "vitest";
import { ChunkBatcher } from "./chunk-batcher.js";

describe("ChunkBatcher", () => {
  it("emits when the size limit is reached and on flush; pieces add up", () => {
    const out: string[] = [];
    const b = new ChunkBatcher((t) => out.push(t), 60_000, 10);
    for (const tok of ["ab", "cd", "ef", "gh", "ij", "kl", "m"]) b.push(tok);
    expect(out).toEqual(["abcdefghij"]);
    b.flush();
    expect(out).toEqual(["abcdefghij", "klm"]);
    b.flush();
    expect(out).toHaveLength(2);
  });

  it("emits waiting text after the interval", async () => {
    const out: string[] = [];
    const b = new ChunkBatcher((t) => out.push(t), 20, 1000);
    b.push("a");
    b.push("b");
    expect(out).toEqual([]);
    await new Promise((r) => setTimeout(r, 60));
    expect(out).toEqual(["ab"]);
  });

  it("survives a listener that throws", () => {
    const errors: unknown[] = [];
    const b = new ChunkBatcher(
      () => {
        throw new Error("listener broke");
      },
      60_000,
      2,
      (e) => errors.push(e),
    );
    b.push("abc");
    expect(errors).toHaveLength(1);
  });
});
