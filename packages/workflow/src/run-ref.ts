/**
 * How a run's {@link RunRef} maps onto LangGraph's config.
 *
 * LangGraph treats a non-empty `checkpoint_ns` as the address of a subgraph: at the root graph
 * `invoke` silently resets it to "" (pregel/loop.js) while `getState` reads the namespace it was
 * given, so a root run with a namespace would write to one place and read from another. The
 * root graph therefore always runs with `checkpoint_ns: ""`, and the pyfleet namespace is folded
 * into LangGraph's `thread_id` as `<threadId>/<namespace>` (thread ids cannot contain "/", so
 * the mapping is unambiguous and two namespaces of one thread never share checkpoints).
 */
import { ID_PATTERN_TEXT, isValidId, PyfleetError, type PythonExecutionRequest } from "@pyfleet/core";
import type { RunRef, StartRunInput } from "./pipeline-types.js";

/** The ref of a new run: `input.threadId ?? request.thread_id ?? runId`, and the namespace. */
export function refForInput(input: Pick<StartRunInput, "runId" | "threadId" | "checkpointNs">, request: PythonExecutionRequest): RunRef {
  const threadId = input.threadId ?? request.thread_id ?? input.runId;
  if (!isValidId(threadId)) {
    throw new PyfleetError("VALIDATION_FAILED", `thread id "${threadId}" must match ${ID_PATTERN_TEXT}`, {
      issues: [{ path: "thread_id", message: `must match ${ID_PATTERN_TEXT}` }],
    });
  }
  return { threadId, checkpointNs: input.checkpointNs ?? request.checkpoint_ns ?? "" };
}

/**
 * The `thread_id` LangGraph (and so the checkpointer) stores this run under.
 * @throws PyfleetError `VALIDATION_FAILED` for a thread id with "/" (it could alias a namespace).
 */
export function graphThreadId(ref: RunRef): string {
  if (ref.threadId.includes("/")) {
    throw new PyfleetError("VALIDATION_FAILED", `thread id "${ref.threadId}" must not contain "/"`);
  }
  return ref.checkpointNs === "" ? ref.threadId : `${ref.threadId}/${ref.checkpointNs}`;
}

/** The LangGraph config addressing a run's thread. */
export function graphConfig(ref: RunRef): { configurable: { thread_id: string; checkpoint_ns: string } } {
  return { configurable: { thread_id: graphThreadId(ref), checkpoint_ns: "" } };
}
