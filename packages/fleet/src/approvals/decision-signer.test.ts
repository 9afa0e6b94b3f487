import { parseSigningKeys } from "@pyfleet/core";
import { describe, expect, it } from "vitest";
import { DecisionSigner, type UnsignedDecision } from "./decision-signer.js";

const base: UnsignedDecision = {
  approvalId: "a1",
  runId: "r1",
  attempt: 2,
  codeHash: "a".repeat(64),
  mode: "write_access",
  decision: "approve",
  approvers: ["bob", "alice"],
  reason: "looks right",
  expiresAt: "2030-01-01T00:00:00.000Z",
  signedAt: "2029-12-31T00:00:00.000Z",
};

describe("DecisionSigner", () => {
  const keys = parseSigningKeys("k1:0123456789abcdef0123,k0:fedcba9876543210fedc");
  const signer = new DecisionSigner(keys, "k1");

  it("signs with the current key and verifies", () => {
    const d = signer.sign(base);
    expect(d.keyId).toBe("k1");
    expect(d.signature).toMatch(/^[0-9a-f]{64}$/);
    expect(signer.isValid(d)).toBe(true);
  });

  it("does not depend on approver order but on every signed field", () => {
    const d = signer.sign(base);
    expect(signer.isValid({ ...d, approvers: ["alice", "bob"] })).toBe(true);
    for (const change of [
      { codeHash: "b".repeat(64) },
      { attempt: 3 },
      { mode: "read_only" as const },
      { decision: "reject" as const },
      { approvers: ["alice"] },
      { expiresAt: "2031-01-01T00:00:00.000Z" },
      { runId: "r2" },
    ]) {
      expect(signer.isValid({ ...d, ...change })).toBe(false);
    }
  });

  it("accepts signatures of an older key after rotation and refuses unknown keys", () => {
    const old = new DecisionSigner(keys, "k0").sign(base);
    expect(signer.isValid(old)).toBe(true);
    const other = new DecisionSigner(parseSigningKeys("k9:zzzzzzzzzzzzzzzzzzzz"), "k9").sign(base);
    expect(signer.isValid(other)).toBe(false);
    expect(signer.isValid({ ...old, keyId: "k1" })).toBe(false);
  });

  it("rejects bad key configuration with a sentence", () => {
    expect(() => parseSigningKeys(undefined)).toThrow(/PYFLEET_SIGNING_KEYS is not set/);
    expect(() => parseSigningKeys("k1:short")).toThrow(/at least 16 characters/);
    expect(() => new DecisionSigner(keys, "k7")).toThrow(/signing_key_id "k7" is not among/);
  });
});
