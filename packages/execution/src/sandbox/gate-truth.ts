import type { ExecutionOutcome, GateRecord } from "@pyfleet/core";

/**
 * The run's outcome as the executor decides it (docs/security.md, "Trustworthy results"): the CA
 * gate's record of writes replaces whatever the code reported about them. A write the gate refused
 * makes the run a policy violation even when the harness report (which the code can forge) says
 * `ok`; `outcome.gate` carries every write with the server's own status and read-back.
 */
export function applyGateTruth(outcome: ExecutionOutcome, record: GateRecord | undefined): ExecutionOutcome {
  if (!record) return outcome;
  const out: ExecutionOutcome = { ...outcome, gate: record };
  if (record.refused.length > 0 && outcome.error?.category !== "policy") {
    const first = record.refused[0];
    out.error = {
      ename: "PermissionError",
      evalue: `WRITE_REFUSED_BY_GATE: the Channel Access gate refused ${record.refused.length} write(s); first: ${first?.reason ?? "?"}`,
      traceback: outcome.error?.traceback ?? "",
      category: "policy",
    };
  }
  return out;
}
