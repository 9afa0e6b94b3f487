import { PyfleetError, type RunRecord, RunRecordSchema } from "@pyfleet/core";
import type { QueueName } from "../queues/queue-for.js";

function corrupt(key: string, why: string): PyfleetError {
  return new PyfleetError("RECORD_CORRUPT", `${key} is unreadable (${why.slice(0, 300)}): restore it from a backup or delete it; other runs are unaffected`, {
    retryable: false,
  });
}

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

/**
 * Decodes an HGETALL reply; null when the hash does not exist (unknown or expired run).
 * @throws PyfleetError `RECORD_CORRUPT` (not retryable) naming `key` and the unreadable field.
 */
export function decodeRecord(hash: Record<string, string>, key = "run record"): { record: RunRecord; internals: RunInternals } | null {
  if (!hash.runId) return null;
  const raw: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(hash)) {
    try {
      raw[k] = JSON.parse(v);
    } catch {
      throw corrupt(key, `field "${k}" is not JSON`);
    }
  }
  const parsed = RunRecordSchema.safeParse(raw);
  if (!parsed.success) throw corrupt(key, parsed.error.issues.map((i) => `${i.path.join(".") || "(record)"}: ${i.message}`).join("; "));
  const record = parsed.data;
  return {
    record,
    internals: {
      step: typeof raw.step === "number" ? raw.step : 0,
      pendingJob: (raw.pendingJob as RunInternals["pendingJob"]) ?? null,
    },
  };
}
