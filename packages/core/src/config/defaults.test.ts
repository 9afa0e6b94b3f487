import { describe, expect, it } from "vitest";
import { configDefaults, withDefaults } from "./defaults.js";
import { loadConfigFromString } from "./load.js";

describe("configDefaults", () => {
  it("is what an empty config loads to without environment", () => {
    expect(configDefaults()).toEqual(loadConfigFromString("", { env: {} }));
  });

  it("gives each caller its own copy", () => {
    const a = configDefaults();
    a.execution.local.fork_server.preload.push("scipy");
    a.queues.generate.concurrency = 99;
    const b = configDefaults();
    expect(b.execution.local.fork_server.preload).not.toContain("scipy");
    expect(b.queues.generate.concurrency).toBe(4);
  });
});

describe("withDefaults", () => {
  it("merges mappings key by key, replaces arrays whole and keeps defaults for undefined", () => {
    const defaults = { a: { b: 1, c: [1, 2] }, d: "x" };
    const merged = withDefaults(defaults, { a: { c: [3] }, d: undefined });
    expect(merged).toEqual({ a: { b: 1, c: [3] }, d: "x" });
    expect(defaults).toEqual({ a: { b: 1, c: [1, 2] }, d: "x" });
  });
});
