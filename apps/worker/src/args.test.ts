import { describe, expect, it } from "vitest";
import { parseWorkerArgs, WorkerUsageError } from "./args.js";

describe("parseWorkerArgs", () => {
  it("pins an execute worker to exactly the mode given", () => {
    expect(parseWorkerArgs(["--stage", "execute", "--mode", "write_access", "--concurrency", "3"])).toEqual({
      stages: ["execute"],
      modes: ["write_access"],
      concurrency: 3,
    });
  });

  it("refuses an execute worker without a mode, naming the fix", () => {
    expect(() => parseWorkerArgs(["--stage", "execute"])).toThrow(/--mode read_only or --mode write_access/);
    expect(() => parseWorkerArgs(["--stage", "all"])).toThrow(WorkerUsageError);
  });

  it("expands all to every stage and drops a mode a non-executor does not use", () => {
    expect(parseWorkerArgs(["--stage", "all", "--mode", "read_only"]).stages).toEqual(["generate", "analyze", "execute"]);
    expect(parseWorkerArgs(["--stage", "analyze", "--mode", "read_only"]).modes).toEqual([]);
  });

  it("rejects unknown stages, modes, options and bad numbers", () => {
    expect(() => parseWorkerArgs(["--stage", "deploy"])).toThrow(/--stage must be/);
    expect(() => parseWorkerArgs(["--stage", "execute", "--mode", "rw"])).toThrow(/--mode must be/);
    expect(() => parseWorkerArgs(["--stage", "generate", "--fast"])).toThrow(/unknown option --fast/);
    expect(() => parseWorkerArgs(["--stage", "generate", "--concurrency", "0"])).toThrow(/>= 1/);
    expect(() => parseWorkerArgs(["--mode", "read_only"])).toThrow(/--stage is required/);
    expect(parseWorkerArgs(["--stage", "generate", "--metrics-port", "0"]).metricsPort).toBe(0);
  });
});
