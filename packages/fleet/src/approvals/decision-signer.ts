import { type KeyObject, sign } from "node:crypto";
import { PyfleetError, type SignedDecision } from "@pyfleet/core";

/** The fields of a decision that are covered by the signature. */
export type UnsignedDecision = Omit<SignedDecision, "signature" | "keyId">;

/** Canonical bytes of a decision: fixed field order, approvers and write PVs sorted. */
export function canonicalDecision(d: UnsignedDecision & { keyId: string }): string {
  return JSON.stringify([
    "pyfleet-decision-v2",
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
    [...(d.writePvs ?? [])].sort(),
    d.manifestHash ?? null,
    d.expiresAt,
    d.signedAt,
  ]);
}

/**
 * Signs approval decisions with Ed25519 (ARCHITECTURE §5). Only the approver holds the private
 * keys; new signatures use `currentKeyId`, older keys may stay listed while they rotate out.
 * The signature is the base64url of the 64 signature bytes over {@link canonicalDecision}.
 */
export class DecisionSigner {
  constructor(
    private readonly keys: Map<string, KeyObject>,
    readonly currentKeyId: string,
  ) {
    if (!keys.has(currentKeyId)) {
      throw new PyfleetError(
        "CONFIG_INVALID",
        `approver.signing_key_id "${currentKeyId}" is not among the signing keys (${[...keys.keys()].join(", ") || "none"})`,
      );
    }
    for (const [id, key] of keys) {
      if (key.type !== "private" || key.asymmetricKeyType !== "ed25519") {
        throw new PyfleetError("CONFIG_INVALID", `signing key "${id}" is not an Ed25519 private key`);
      }
    }
  }

  sign(d: UnsignedDecision): SignedDecision {
    const keyId = this.currentKeyId;
    const key = this.keys.get(keyId) as KeyObject;
    const signature = sign(null, Buffer.from(canonicalDecision({ ...d, keyId }), "utf8"), key).toString("base64url");
    return { ...d, keyId, signature };
  }
}
