import type { RunStatus } from "@pyfleet/core";
import type { NodeName } from "./pipeline-types.js";
import type { RunState } from "./state.js";

/**
 * The status a run is in, derived from the pending node: the stage about to run, a parked
 * approval, the ending `finalize` is about to write, or the final result once done.
 */
export function deriveStatus(next: NodeName | null, state: RunState, interrupted: boolean): RunStatus {
  switch (next) {
    case "generate":
      return "generating";
    case "analyze":
    case "preview":
      return "analyzing";
    case "approve":
      return interrupted ? "awaiting_approval" : "analyzing";
    case "execute":
      return "executing";
    case "finalize":
      return state.ending?.status ?? "failed";
    case null:
      return state.final?.status ?? "queued";
  }
}
