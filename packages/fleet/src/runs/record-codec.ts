import { type RunRecord, RunRecordSchema } from "@pyfleet/core";
import type { QueueName } from "@pyfleet/workflow";

/** Fleet bookkeeping kept in the run hash beside the public record fields. */
export interface RunInternals {
  /** Hop number of the node pending (or running) now; the next dispatch uses `step + 1`. */
  step: number;
  /** The queued job of the pending node, so a cancel can drop it. */
  pendingJob: { queue: QueueName; jobId: string } | null;
}

export type RunPatch = Partial<RunRecord> & Partial<RunInternals>;

/** Encodes fields for HSET: every value as JSON, so null, numbers and objects round-trip. */
export function encodeFields(patch: RunPatch): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(patch)) if (v !== undefined) out[k] = JSON.stringify(v);
  return out;
}

/** Decodes an HGETALL reply; null when the hash does not exist (unknown or expired run). */
export function decodeRecord(hash: Record<string, string>): { record: RunRecord; internals: RunInternals } | null {
  if (!hash.runId) return null;
  const raw: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(hash)) raw[k] = JSON.parse(v);
  const record = RunRecordSchema.parse(raw);
  return {
    record,
    internals: {
      step: typeof raw.step === "number" ? raw.step : 0,
      pendingJob: (raw.pendingJob as RunInternals["pendingJob"]) ?? null,
    },
  };
}
