import { type ApprovalRequest, codeHash, newRunRecord, type RunRecord } from "@pyfleet/core";

/** Write code of the test approvals: one `epics.caput` of `X:Y` on line 2. */
export const TEST_WRITE_CODE = "import epics\nepics.caput('X:Y', 1)\nresults = {}\n";

/**
 * An approval request for `runId` as the fleet parks one: write access, {@link TEST_WRITE_CODE}
 * (or `over.code`, hashed to match), one planned write of `X:Y`, requested by carol.
 */
export function testApprovalRequest(runId: string, over: Partial<ApprovalRequest> = {}): ApprovalRequest {
  const code = over.code ?? TEST_WRITE_CODE;
  return {
    approval_type: "python_executor",
    runId,
    threadId: runId,
    attempt: 1,
    codeHash: codeHash(code),
    code,
    executionMode: "write_access",
    kernelName: "python3-epics-write",
    task: "set X:Y",
    userQuery: "set X:Y",
    reasoning: "writes X:Y",
    findings: [],
    pvWrites: [{ pv: "X:Y", line: 2, column: 1, api: "epics.caput", dynamic: false }],
    notebookPath: null,
    notebookLink: null,
    requester: "carol",
    expectedResults: {},
    user_message: "approval required",
    ...over,
  };
}

/**
 * A run record of a write run of carol's, created now, in `status` at `stage` (default: analyzing,
 * at approve): the fleet's new-run record ({@link newRunRecord}) moved on to its first attempt.
 */
export function testRunRecord(runId: string, over: Partial<RunRecord> = {}): RunRecord {
  const created = newRunRecord({ runId, threadId: runId, checkpointNs: "", requester: "carol", task: "write", at: new Date().toISOString() });
  return { ...created, status: "analyzing", stage: "approve", mode: "write_access", attempts: 1, ...over };
}
