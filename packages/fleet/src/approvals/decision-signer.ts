import { createHmac, timingSafeEqual } from "node:crypto";
import { PyfleetError, type SignedDecision } from "@pyfleet/core";

/** The fields of a decision that are covered by the signature. */
export type UnsignedDecision = Omit<SignedDecision, "signature" | "keyId">;

/** Canonical bytes of a decision: fixed field order, approvers sorted. */
export function canonicalDecision(d: UnsignedDecision & { keyId: string }): string {
  return JSON.stringify([
    "pyfleet-decision-v1",
    d.keyId,
    d.approvalId,
    d.runId,
    d.attempt,
    d.codeHash,
    d.mode,
    d.decision,
    [...d.approvers].sort(),
    d.reason,
    d.feedback ?? null,
    d.regenerate ?? false,
    d.expiresAt,
    d.signedAt,
  ]);
}

/**
 * Signs and checks approval decisions with HMAC-SHA256. Several keys may be known (rotation);
 * new signatures use `currentKeyId`. Only the approver and the executors hold the secrets.
 */
export class DecisionSigner {
  constructor(
    private readonly keys: Map<string, string>,
    readonly currentKeyId: string,
  ) {
    if (!keys.has(currentKeyId)) {
      throw new PyfleetError(
        "CONFIG_INVALID",
        `approver.signing_key_id "${currentKeyId}" is not among the signing keys (${[...keys.keys()].join(", ") || "none"})`,
      );
    }
  }

  sign(d: UnsignedDecision): SignedDecision {
    const keyId = this.currentKeyId;
    const signature = this.mac(keyId, canonicalDecision({ ...d, keyId }));
    return { ...d, keyId, signature };
  }

  /** True when the signature is valid for a known key (constant-time comparison). */
  isValid(d: SignedDecision): boolean {
    if (!this.keys.has(d.keyId) || typeof d.signature !== "string") return false;
    const expected = Buffer.from(this.mac(d.keyId, canonicalDecision(d)), "hex");
    const given = Buffer.from(d.signature, "hex");
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  hasKey(keyId: string): boolean {
    return this.keys.has(keyId);
  }

  private mac(keyId: string, payload: string): string {
    return createHmac("sha256", this.keys.get(keyId) as string).update(payload, "utf8").digest("hex");
  }
}
