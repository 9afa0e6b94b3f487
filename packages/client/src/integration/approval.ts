import { Command, interrupt, isGraphInterrupt } from "@langchain/langgraph";
import { PyfleetError } from "@pyfleet/core";

/** Approval type string of a capability (and operation): `python_executor`, `memory_save`. */
export function createApprovalType(capability: string, operation?: string): string {
  return operation ? `${capability}_${operation}` : capability;
}

/** The two agent-state fields approval answers travel in (the original's main-graph state). */
export interface ApprovalAgentState {
  approval_approved?: boolean | null;
  approved_payload?: Record<string, unknown> | null;
}

/**
 * Reads an approval answer from the caller's state.
 * @returns `[false, null]` when there is no answer, `[true, payload]` when approved with a payload
 *   of `approvalType`, `[true, null]` when rejected.
 * @throws PyfleetError `VALIDATION_FAILED` when approved without a payload of that type.
 */
export function getApprovalResumeData(state: ApprovalAgentState, approvalType: string): [boolean, Record<string, unknown> | null] {
  const approved = state.approval_approved;
  if (approved === null || approved === undefined) return [false, null];
  if (!approved) return [true, null];
  const payload = state.approved_payload;
  if (!payload || typeof payload !== "object" || typeof payload.approval_type !== "string" || payload.approval_type === "") {
    throw new PyfleetError("VALIDATION_FAILED", "approval_approved is true but approved_payload has no approval_type");
  }
  if (payload.approval_type !== approvalType) {
    throw new PyfleetError("VALIDATION_FAILED", `approved payload is for ${payload.approval_type}, not ${approvalType}`);
  }
  return [true, payload];
}

/** The state update that forgets an approval answer once it has been used. */
export function clearApprovalState(): { approval_approved: null; approved_payload: null } {
  return { approval_approved: null, approved_payload: null };
}

/** What a service must offer to be driven by {@link handleServiceWithInterrupts}. */
export interface InterruptingService<I, C, R> {
  ainvoke(input: I | Command, config: C): Promise<R>;
}

/** True for the answers that approve: `true`, `{ approved: true }`, or yes/y/ok/okay. */
export function isApproving(answer: unknown): boolean {
  if (answer === true) return true;
  if (typeof answer === "string") return /^(yes|y|yep|yeah|ok|okay)[.!?]*$/i.test(answer.trim());
  return typeof answer === "object" && answer !== null && (answer as { approved?: unknown }).approved === true;
}

/**
 * Calls a service from inside a LangGraph node. When the service parks for approval it throws
 * a GraphInterrupt; this re-raises it as `interrupt(payload)` in the caller's graph, so the
 * caller pauses with the approval payload. When the caller is resumed with the human's answer
 * (`new Command({ resume: true | "yes" | { approved, reason } })`), `interrupt` returns that
 * answer and the service is resumed with it right here.
 */
export async function handleServiceWithInterrupts<I, C, R>(
  service: InterruptingService<I, C, R>,
  request: I,
  config: C,
  logger?: { info(obj: object, msg?: string): void },
  capabilityName = "python_executor",
): Promise<R> {
  try {
    return await service.ainvoke(request, config);
  } catch (err) {
    if (!isGraphInterrupt(err)) throw err;
    const value = err.interrupts[0]?.value as { resume_payload?: Record<string, unknown> } | undefined;
    logger?.info({ capability: capabilityName }, "service needs approval; interrupting the caller graph");
    const answer: unknown = interrupt(value);
    const extra = typeof answer === "object" && answer !== null ? (answer as Record<string, unknown>) : {};
    const resume = { ...(value?.resume_payload ?? {}), ...extra, approved: isApproving(answer) };
    return service.ainvoke(new Command({ resume }), config);
  }
}
