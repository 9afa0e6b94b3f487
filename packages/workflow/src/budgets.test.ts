import type { PythonExecutionRequest } from "@pyfleet/core";
import { describe, expect, it } from "vitest";
import { effectiveBudgets } from "./budgets.js";

const config = { maxGenerationRetries: 3, maxExecutionRetries: 3 };
const req = (extra: Partial<PythonExecutionRequest>) => ({ user_query: "q", task_objective: "t", ...extra }) as PythonExecutionRequest;

describe("effectiveBudgets", () => {
  it("gives provided code 0 retries by default: its own error ends the run", () => {
    expect(effectiveBudgets(config, req({ code: "raise ValueError()" }))).toEqual({ maxGenerationRetries: 0, maxExecutionRetries: 0 });
  });

  it("lets provided code ask for retries, capped by the fleet's budgets", () => {
    expect(effectiveBudgets(config, req({ code: "x = 1", retries: 2 }))).toEqual({ maxGenerationRetries: 2, maxExecutionRetries: 2 });
    expect(effectiveBudgets(config, req({ code: "x = 1", retries: 9 }))).toEqual({ maxGenerationRetries: 3, maxExecutionRetries: 3 });
  });

  it("keeps the fleet's budgets for generated code unless the request asks for fewer", () => {
    expect(effectiveBudgets(config, req({}))).toEqual(config);
    expect(effectiveBudgets(config, req({ retries: 1 }))).toEqual({ maxGenerationRetries: 1, maxExecutionRetries: 1 });
  });
});
