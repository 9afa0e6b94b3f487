import type { ExecutionMode } from "@pyfleet/core";
import type { NodeName } from "@pyfleet/workflow";

/** Queues of the fleet (names before the prefix). */
export type QueueName = "generate" | "analyze" | "execute.read_only" | "execute.write_access";

/**
 * Which queue owns a pipeline node. `preview` (a write run's dry run) runs on the read-only
 * executors; `approve` runs in the analyze stage (it only interrupts); `finalize` is cheap and
 * always continues in the process that ran the node before it, or on the analyze queue when
 * enqueued (e.g. after a rejection).
 */
export function queueFor(node: NodeName, mode: ExecutionMode | null): QueueName {
  switch (node) {
    case "generate":
      return "generate";
    case "analyze":
    case "approve":
    case "finalize":
      return "analyze";
    case "preview":
      // the dry run needs the read-only kernel (and CA reads): the read-only executors own both
      return "execute.read_only";
    case "execute":
      return mode === "write_access" ? "execute.write_access" : "execute.read_only";
  }
}
