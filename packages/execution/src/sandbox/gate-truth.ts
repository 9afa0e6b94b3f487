import { type ExecutionOutcome, type GateRecord, normalizePv, type PerformedWrite } from "@pyfleet/core";

/**
 * The run's outcome as the executor decides it (docs/security.md, "Trustworthy results"): the CA
 * gate's record of writes replaces whatever the code reported about them.
 *
 * - A write the gate refused makes the run a policy violation even when the harness report
 *   (which the code can forge) says `ok`; the error's code is the refusal's
 *   (`WRITE_NOT_IN_MANIFEST` is audited as `write.refused_unapproved_pv` and never retried).
 * - A write the server failed fails the run (`CONTROL_SYSTEM_WRITE_FAILED`) when nothing else did.
 * - Writes of a write run the harness did not record (its guard was bypassed) are added to
 *   `performedWrites` (api `ca-gate`), so the audit holds every write the gate saw.
 * `outcome.gate` carries every write with the server's own status and read-back.
 */
export function applyGateTruth(outcome: ExecutionOutcome, record: GateRecord | undefined): ExecutionOutcome {
  if (!record) return outcome;
  const out: ExecutionOutcome = { ...outcome, gate: record };
  const unrecorded = gateOnlyWrites(outcome.performedWrites ?? [], record);
  if (unrecorded.length > 0) out.performedWrites = [...(outcome.performedWrites ?? []), ...unrecorded];
  const first = record.refused[0];
  if (first && outcome.error?.category !== "policy") {
    out.error = {
      ename: "PermissionError",
      evalue: `WRITE_REFUSED_BY_GATE: the Channel Access gate refused ${record.refused.length} write(s); first: ${first.reason}`,
      traceback: outcome.error?.traceback ?? "",
      category: "policy",
      ...(first.code ? { code: first.code } : {}),
    };
    return out;
  }
  const failed = record.writes.find((w) => w.outcome === "failed");
  if (failed && !outcome.error) {
    out.error = {
      ename: "ControlSystemWriteFailed",
      evalue: `CONTROL_SYSTEM_WRITE_FAILED: the CA server answered ${failed.status} to the write of ${String(failed.value)} to ${failed.pv ?? "an unknown channel"}`,
      traceback: "",
      category: "policy",
      code: "CONTROL_SYSTEM_WRITE_FAILED",
    };
  }
  return out;
}

/**
 * What the gate saw of a write run that the harness's record lacks: every refusal (a write the
 * guard refuses never reaches the network, so the gate's are new), and forwarded writes beyond the
 * harness's own count for their PV. Read-only refusals stay in `gate` only (nothing was written).
 */
function gateOnlyWrites(harness: readonly PerformedWrite[], record: GateRecord): PerformedWrite[] {
  const at = new Date().toISOString();
  let order = harness.reduce((max, w) => Math.max(max, w.order), -1) + 1;
  const counted = new Map<string, number>();
  for (const w of harness) if (w.status !== "refused") counted.set(normalizePv(w.pv), (counted.get(normalizePv(w.pv)) ?? 0) + 1);
  const out: PerformedWrite[] = [];
  for (const w of record.writes) {
    const pv = normalizePv(w.pv ?? "");
    const left = counted.get(pv) ?? 0;
    if (left > 0) {
      counted.set(pv, left - 1);
      continue;
    }
    const ok = w.outcome === "performed";
    const error = ok ? null : `the CA server answered ${w.status}`;
    out.push({ pv: w.pv ?? "(unknown channel)", value: w.value, api: "ca-gate", order: order++, status: ok ? "ok" : "failed", error, code: ok ? null : "CONTROL_SYSTEM_WRITE_FAILED", readback: w.readback ?? null, at });
  }
  for (const r of record.refused) {
    if (r.code === "WRITE_IN_READ_ONLY") continue;
    out.push({ pv: r.pv ?? "(unknown channel)", value: r.value, api: "ca-gate", order: order++, status: "refused", error: r.reason, code: r.code ?? null, readback: null, at });
  }
  return out;
}
