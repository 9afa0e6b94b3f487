import { NODE_NAMES, type NodeName } from "@pyfleet/workflow";
import { EXECUTION_MODES } from "@pyfleet/core";
import { z } from "zod";

/** Payload of every stage job: which run, which node is expected to be pending, which step. */
export const StageJobSchema = z
  .object({
    runId: z.string().min(1),
    threadId: z.string().min(1),
    checkpointNs: z.string(),
    node: z.enum(NODE_NAMES),
    /** 0-based number of the node hop in this run; part of the job id (idempotent dispatch). */
    step: z.number().int().min(0),
    /** Mode of the current attempt, when known (routes `execute`). */
    mode: z.enum(EXECUTION_MODES).nullable().optional(),
  })
  .strict();
export type StageJob = z.infer<typeof StageJobSchema>;

/**
 * Deterministic job id of a hop: a second enqueue of the same hop is a no-op in BullMQ.
 * '.' separates the parts because BullMQ refuses most custom ids containing ':'.
 */
export function stageJobId(runId: string, step: number, node: NodeName): string {
  return `${runId}.${step}.${node}`;
}

const STAGE_JOB_ID = new RegExp(`^(.+)\\.\\d+\\.(?:${NODE_NAMES.join("|")})$`);

/** The run id of a {@link stageJobId}; null for any other job id (not a stage hop). */
export function runIdOfStageJob(jobId: string): string | null {
  return STAGE_JOB_ID.exec(jobId)?.[1] ?? null;
}
