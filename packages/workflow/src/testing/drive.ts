/** Test helpers that drive a run through the step-mode API. */
import type { NodeName, Pipeline, RunRef, StepResult } from "../pipeline-types.js";

/** Steps until the run finishes or parks in `approve`; returns the nodes that ran, in order. */
export async function drive(pipeline: Pipeline, ref: RunRef, limit = 50): Promise<{ ran: NodeName[]; last: StepResult }> {
  const ran: NodeName[] = [];
  for (let i = 0; i < limit; i++) {
    const last = await pipeline.step(ref);
    if (last.ran) ran.push(last.ran);
    if (last.next === null || last.interrupt) return { ran, last };
  }
  throw new Error(`run did not finish within ${limit} steps: ${ran.join(" → ")}`);
}
