import type { PythonExecutionRequest } from "@pyfleet/core";
import type { PipelineBudgets } from "./pipeline-types.js";

/**
 * Budgets of one run: the configured ones, each capped by the request's `retries` when given
 * (a caller may ask for fewer retries than the fleet allows, never for more). Provided code
 * defaults to 0 retries: its own error is the outcome, instead of a regeneration that needs a
 * model the caller never asked for.
 */
export function effectiveBudgets(config: PipelineBudgets, request: PythonExecutionRequest): PipelineBudgets {
  const retries = request.retries ?? (request.code !== undefined ? 0 : undefined);
  if (retries === undefined) return config;
  return {
    maxGenerationRetries: Math.min(config.maxGenerationRetries, retries),
    maxExecutionRetries: Math.min(config.maxExecutionRetries, retries),
  };
}

/**
 * True while a budget still allows another generation after `failures` failures: a budget of
 * N retries lets the N-th failure regenerate and ends the run on failure N+1.
 */
export function withinBudget(failures: number, maxRetries: number): boolean {
  return failures <= maxRetries;
}
