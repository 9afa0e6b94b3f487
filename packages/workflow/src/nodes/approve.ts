/**
 * `approve`: parks the run with `interrupt()` until a human decides. The resume value is a
 * signed decision (plain JSON); its signature is checked by `execute` before code runs, so a
 * forged "approve" gets no further than a rejection would.
 */
import { interrupt } from "@langchain/langgraph";
import { PyfleetError, type SignedDecision, SignedDecisionSchema } from "@pyfleet/core";
import { errorEntry } from "../error-chain.js";
import type { PipelineDeps } from "../pipeline-types.js";
import { currentAttempt } from "../state.js";
import { emitEvent, nodeLogger, type RunNode } from "./context.js";
import { routeFailure } from "./fail-attempt.js";

export function createApproveNode(deps: PipelineDeps): RunNode {
  return async (state) => {
    const attempt = currentAttempt(state);
    if (!state.approvalRequest || !attempt) {
      throw new PyfleetError("INTERNAL", `run ${state.runId} reached approve without an approval request`);
    }
    const resumed = interrupt<typeof state.approvalRequest, unknown>(state.approvalRequest);
    const parsed = SignedDecisionSchema.safeParse(resumed);
    const log = nodeLogger(deps, state, "approve", attempt.number);
    if (!parsed.success) {
      throw new PyfleetError("VALIDATION_FAILED", `run ${state.runId} was resumed with something that is not a signed decision`);
    }
    const decision: SignedDecision = parsed.data;
    await emitEvent(deps, state, {
      type: "approval",
      stage: "approve",
      attempt: attempt.number,
      data: { decision: decision.decision, approvalId: decision.approvalId, approvers: decision.approvers },
    });
    log.info({ decision: decision.decision, approvalId: decision.approvalId }, "approval decided");
    if (decision.decision === "approve") return { decision, route: "execute" };
    if (!(decision.regenerate && decision.feedback)) {
      return { decision, route: "finalize", ending: { status: "rejected", reason: decision.reason } };
    }
    const entry = errorEntry({
      stage: "approve",
      category: "approval",
      code: "APPROVAL_REJECTED",
      message: decision.feedback,
      attempt: attempt.number,
      at: deps.clock.now(),
      failedCode: attempt.code,
    });
    // the decision event above already told followers: a rejection is no error event
    return { decision, ...routeFailure(deps, state, entry, { retry: "generation", otherwise: { status: "rejected", reason: decision.reason } }) };
  };
}
