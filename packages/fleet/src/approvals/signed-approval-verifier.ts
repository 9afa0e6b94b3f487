import {
  type ApprovalExpectation,
  type ApprovalVerifier,
  type Clock,
  PyfleetError,
  type SignedDecision,
  SignedDecisionSchema,
  systemClock,
} from "@pyfleet/core";
import type { AuditLog } from "../audit/audit-log.js";
import { DecisionVerifier } from "./decision-verifier.js";

/**
 * The executor's own check of an approval (ARCHITECTURE §5): the decision must be present,
 * signed with a known key, unexpired, an approval, and for exactly this run, attempt, mode and
 * code hash. The signature is checked with Ed25519 public keys only; decisions signed with the
 * old HMAC scheme are refused with a message that says so. Every check, passed or refused, goes
 * to the audit log.
 */
export class SignedApprovalVerifier implements ApprovalVerifier {
  constructor(
    private readonly verifier: DecisionVerifier,
    private readonly audit: AuditLog,
    private readonly clock: Clock = systemClock,
  ) {}

  async verify(decision: unknown, expected: ApprovalExpectation): Promise<SignedDecision> {
    try {
      const d = this.check(decision, expected);
      await this.audit.append("signature.checked", { ...expected, ok: true, approvalId: d.approvalId, keyId: d.keyId });
      return d;
    } catch (err) {
      const e = err as PyfleetError;
      await this.audit.append("signature.checked", { ...expected, ok: false, code: e.code, message: e.message });
      throw err;
    }
  }

  private check(decision: unknown, expected: ApprovalExpectation): SignedDecision {
    if (decision == null) {
      throw new PyfleetError("APPROVAL_MISSING", `run ${expected.runId} attempt ${expected.attempt} has no approval decision`);
    }
    const parsed = SignedDecisionSchema.safeParse(decision);
    if (!parsed.success) {
      throw new PyfleetError("APPROVAL_SIGNATURE_INVALID", "the approval decision is not a signed decision (fields missing or malformed)");
    }
    const d = parsed.data;
    if (DecisionVerifier.isLegacyHmac(d)) {
      throw new PyfleetError(
        "APPROVAL_SIGNATURE_INVALID",
        "the approval decision is HMAC-signed (the scheme before Ed25519); executors accept only Ed25519-signed decisions: submit the run again and approve it with the current approver",
      );
    }
    if (!this.verifier.hasKey(d.keyId)) {
      throw new PyfleetError("APPROVAL_SIGNATURE_INVALID", `the approval decision is signed with key "${d.keyId}", which is not among this executor's verify keys (approver.verify_keys_env)`);
    }
    if (!this.verifier.isValid(d)) {
      throw new PyfleetError("APPROVAL_SIGNATURE_INVALID", "the approval decision's signature does not match its content");
    }
    if (d.decision !== "approve") {
      throw new PyfleetError("APPROVAL_MISSING", "the decision is a rejection, not an approval");
    }
    if (Date.parse(d.expiresAt) <= this.clock.now().getTime()) {
      throw new PyfleetError("APPROVAL_EXPIRED", `the approval expired at ${d.expiresAt}`);
    }
    if (d.runId !== expected.runId || d.attempt !== expected.attempt || d.mode !== expected.mode) {
      throw new PyfleetError(
        "APPROVAL_HASH_MISMATCH",
        `the approval is for run ${d.runId} attempt ${d.attempt} (${d.mode}), not run ${expected.runId} attempt ${expected.attempt} (${expected.mode})`,
      );
    }
    if (d.codeHash !== expected.codeHash) {
      throw new PyfleetError(
        "APPROVAL_HASH_MISMATCH",
        `the approval is for code ${d.codeHash.slice(0, 12)}…, but the code about to run is ${expected.codeHash.slice(0, 12)}…`,
      );
    }
    if (expected.manifestHash !== undefined && (d.manifestHash ?? null) !== expected.manifestHash) {
      throw new PyfleetError(
        "APPROVAL_MANIFEST_MISMATCH",
        `the approval is for write manifest ${d.manifestHash?.slice(0, 12) ?? "(none)"}…, but the manifest about to be enforced is ${expected.manifestHash?.slice(0, 12) ?? "(none)"}…; it was changed after approval`,
      );
    }
    return d;
  }
}
