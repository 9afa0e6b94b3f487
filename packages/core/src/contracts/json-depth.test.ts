import { describe, expect, it } from "vitest";
import { jsonDepthExceeds } from "./json-depth.js";

describe("jsonDepthExceeds", () => {
  it("counts each object or array level, scalars count nothing", () => {
    expect(jsonDepthExceeds(1, 0)).toBe(false);
    expect(jsonDepthExceeds(null, 0)).toBe(false);
    expect(jsonDepthExceeds({}, 0)).toBe(true);
    expect(jsonDepthExceeds({}, 1)).toBe(false);
    expect(jsonDepthExceeds({ a: [1, { b: "x" }] }, 3)).toBe(false);
    expect(jsonDepthExceeds({ a: [1, { b: "x" }] }, 2)).toBe(true);
    expect(jsonDepthExceeds({ wide: [[], [], [[]]], flat: "x" }, 4)).toBe(false);
    expect(jsonDepthExceeds({ wide: [[], [], [[[]]]], flat: "x" }, 4)).toBe(true);
  });

  it("measures hostile depth without recursion (no stack overflow)", () => {
    const deep = JSON.parse(`${"[".repeat(500_000)}${"]".repeat(500_000)}`);
    expect(jsonDepthExceeds(deep, 64)).toBe(true);
    expect(jsonDepthExceeds(deep, 500_000)).toBe(false);
  });
});
