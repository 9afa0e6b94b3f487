import type { RunStatus } from "@pyfleet/core";
import type { NodeName } from "./pipeline-types.js";
import type { RunState } from "./state.js";

/**
 * The status a run shows while `node` runs (or is queued to run). `finalize` only writes the
 * ending `deriveStatus` reports once it ran, so while it runs the run is still `executing`.
 */
export function runningStatus(node: NodeName): RunStatus {
  switch (node) {
    case "generate":
      return "generating";
    case "analyze":
    case "preview":
    case "approve":
      return "analyzing";
    case "execute":
    case "finalize":
      return "executing";
  }
}

/**
 * The status a run is in, derived from the pending node: the stage about to run, a parked
 * approval, the ending `finalize` is about to write, or the final result once done.
 */
export function deriveStatus(next: NodeName | null, state: RunState, interrupted: boolean): RunStatus {
  if (next === null) return state.final?.status ?? "queued";
  if (next === "approve" && interrupted) return "awaiting_approval";
  if (next === "finalize") return state.ending?.status ?? "failed";
  return runningStatus(next);
}
