import type { ExecutionMode } from "@pyfleet/core";
import type { ResolvedPolicy } from "./options.js";

/** The approval decision with the sentence that explains it. */
export interface ApprovalDecision {
  needsApproval: boolean;
  reasoning: string;
}

/**
 * Decides whether a human must approve, in this order:
 * 1. `execution.modes.<mode>.requires_approval: true` always asks for that mode (even when approval is
 *    otherwise disabled: the mode's own setting is the last word on a write kernel);
 * 2. `global_mode: disabled` never asks;
 * 3. `global_mode: all_capabilities` always asks (stricter than the original, which kept the mode);
 * 4. a disabled capability never asks;
 * 5. capability mode: `all_code` always, `epics_writes` only when writes (or possible writes) were found,
 *    `disabled` never.
 */
export function decideApproval(policy: ResolvedPolicy, mode: ExecutionMode, writes: number): ApprovalDecision {
  const found = writes > 0 ? `${writes} control-system write${writes === 1 ? "" : "s"} found` : "no control-system writes found";
  if (policy.requiresApproval[mode])
    return { needsApproval: true, reasoning: `Approval required: execution mode ${mode} has requires_approval: true (${found}).` };
  if (policy.globalMode === "disabled")
    return { needsApproval: false, reasoning: `No approval: approval.global_mode is disabled (${found}).` };
  if (policy.globalMode === "all_capabilities")
    return { needsApproval: true, reasoning: `Approval required: approval.global_mode is all_capabilities (${found}).` };
  if (!policy.capabilityEnabled)
    return { needsApproval: false, reasoning: `No approval: python_execution approval is not enabled (${found}).` };
  switch (policy.capabilityMode) {
    case "all_code":
      return { needsApproval: true, reasoning: `Approval required: python_execution mode all_code asks for all code (${found}).` };
    case "epics_writes":
      return writes > 0
        ? { needsApproval: true, reasoning: `Approval required: python_execution mode epics_writes and ${found}.` }
        : { needsApproval: false, reasoning: `No approval: python_execution mode epics_writes and ${found}.` };
    case "disabled":
      return { needsApproval: false, reasoning: `No approval: python_execution mode is disabled (${found}).` };
  }
}
