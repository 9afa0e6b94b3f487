/** The workflow's dependencies built from the port fakes of @pyfleet/testing (test-only; not exported from index.ts). */
import { silentLogger } from "@pyfleet/core";
import { FakeAnalyzer, FakeArtifacts, FakeEvents, FakeExecutors, FakeGenerator, FakeGuard, type Fakes, FakeVerifier } from "@pyfleet/testing";
import type { PipelineBudgets, PipelineDeps } from "../pipeline-types.js";

/** Dependencies built from fresh fakes; budgets default to 2 + 2. */
export function fakeDeps(opts: { script?: Array<string | Error>; budgets?: Partial<PipelineBudgets> } = {}): {
  deps: PipelineDeps;
  fakes: Fakes;
} {
  const fakes: Fakes = {
    generator: new FakeGenerator(opts.script),
    analyzer: new FakeAnalyzer(),
    executors: new FakeExecutors(),
    artifacts: new FakeArtifacts(),
    verifier: new FakeVerifier(),
    guard: new FakeGuard(),
    events: new FakeEvents(),
  };
  let tick = 0;
  const deps: PipelineDeps = {
    generator: fakes.generator,
    analyzer: fakes.analyzer,
    executors: fakes.executors,
    artifacts: fakes.artifacts,
    approvalVerifier: fakes.verifier,
    executionGuard: fakes.guard,
    events: fakes.events,
    clock: { now: () => new Date(Date.UTC(2026, 0, 1, 0, 0, tick++)) },
    logger: silentLogger(),
    budgets: { maxGenerationRetries: 2, maxExecutionRetries: 2, ...opts.budgets },
    defaultExecutionMethod: "local",
    executionTimeoutMs: 5000,
  };
  return { deps, fakes };
}
