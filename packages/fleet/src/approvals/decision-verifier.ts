import { type KeyObject, verify } from "node:crypto";
import { PyfleetError, type SignedDecision } from "@pyfleet/core";
import { canonicalDecision } from "./decision-signer.js";

/** An Ed25519 signature as {@link DecisionSigner} writes it: base64url of 64 bytes. */
const ED25519_SIGNATURE = /^[A-Za-z0-9_-]{86}$/;
/** A signature of the HMAC-SHA256 scheme decisions used before Ed25519: 64 hex digits. */
const HMAC_SIGNATURE = /^[0-9a-f]{64}$/;

/**
 * Checks decision signatures with Ed25519 public keys only (what executors hold): a process
 * with a verifier can tell a real decision from a forged one but cannot make one. Several key
 * ids may be known at once while keys rotate.
 */
export class DecisionVerifier {
  constructor(private readonly keys: Map<string, KeyObject>) {
    for (const [id, key] of keys) {
      if (key.type !== "public" || key.asymmetricKeyType !== "ed25519") {
        throw new PyfleetError("CONFIG_INVALID", `verify key "${id}" is not an Ed25519 public key`);
      }
    }
  }

  hasKey(keyId: string): boolean {
    return this.keys.has(keyId);
  }

  /** True when the signature is valid for a known key. */
  isValid(d: SignedDecision): boolean {
    const key = this.keys.get(d.keyId);
    if (!key || typeof d.signature !== "string" || !ED25519_SIGNATURE.test(d.signature)) return false;
    return verify(null, Buffer.from(canonicalDecision(d), "utf8"), key, Buffer.from(d.signature, "base64url"));
  }

  /**
   * True when the signature has the form of the old HMAC scheme. Such decisions are refused
   * (not verified with a shared secret): accepting them would mean executors keep a secret
   * that can mint approvals, the hole Ed25519 closes.
   */
  static isLegacyHmac(d: { signature?: unknown }): boolean {
    return typeof d.signature === "string" && HMAC_SIGNATURE.test(d.signature);
  }
}
