import { type DecisionBody, PyfleetError } from "@pyfleet/core";
import type { ApprovalRecord, ApprovalVote } from "./approval-record.js";

/** What a vote did to an approval: the votes after it and the decision it completed, if any. */
export interface VoteTally {
  votes: ApprovalVote[];
  /** False when the identity had already cast this same vote (a repeat counts once). */
  counted: boolean;
  /** `reject` on any rejection; `approve` once `requiredApprovals` distinct identities approved; else null. */
  final: "approve" | "reject" | null;
  /** Distinct identities that approved, in the order they voted (signed into an approval). */
  approvers: string[];
}

/** The fields of a record a vote is checked and counted against. */
export type TalliedRecord = Pick<ApprovalRecord, "id" | "runId" | "status" | "expiresAt" | "codeHash" | "requester" | "requiredApprovals" | "votes">;

/**
 * Checks one vote against an approval and counts it (the two-person rule), without I/O: the
 * approval store calls this inside its compare-and-set loop and signs when `final` is set.
 * @throws PyfleetError APPROVAL_EXPIRED (past `expiresAt` or swept), APPROVAL_ALREADY_DECIDED,
 *   APPROVAL_HASH_MISMATCH (the voter reviewed other code), APPROVAL_FORBIDDEN (self-approval
 *   while `allowSelfApproval` is false; a requester may still reject their own run).
 */
export function tallyVote(rec: TalliedRecord, voter: string, body: DecisionBody, opts: { allowSelfApproval: boolean; now: Date }): VoteTally {
  if (rec.status === "expired" || (rec.status === "pending" && Date.parse(rec.expiresAt) <= opts.now.getTime())) {
    throw new PyfleetError("APPROVAL_EXPIRED", `approval ${rec.id} expired at ${rec.expiresAt}`);
  }
  if (rec.status !== "pending") throw new PyfleetError("APPROVAL_ALREADY_DECIDED", `approval ${rec.id} is already ${rec.status}`);
  if (body.codeHash !== rec.codeHash) {
    throw new PyfleetError(
      "APPROVAL_HASH_MISMATCH",
      `codeHash ${body.codeHash.slice(0, 12)}… is not the hash of the code under review (${rec.codeHash.slice(0, 12)}…): reload the approval and review the current code`,
    );
  }
  if (!opts.allowSelfApproval && voter === rec.requester && body.decision === "approve") {
    throw new PyfleetError("APPROVAL_FORBIDDEN", `${voter} requested run ${rec.runId} and may not approve it (approver.allow_self_approval is false)`);
  }
  const vote: ApprovalVote = {
    identity: voter,
    decision: body.decision,
    reason: body.reason,
    at: opts.now.toISOString(),
    ...(body.feedback !== undefined ? { feedback: body.feedback } : {}),
    ...(body.regenerate !== undefined ? { regenerate: body.regenerate } : {}),
  };
  const counted = !rec.votes.some((v) => v.identity === voter && v.decision === body.decision);
  const votes = counted ? [...rec.votes, vote] : [...rec.votes];
  const approvers = [...new Set(votes.filter((v) => v.decision === "approve").map((v) => v.identity))];
  const final = body.decision === "reject" ? "reject" : approvers.length >= rec.requiredApprovals ? "approve" : null;
  return { votes, counted, final, approvers };
}
