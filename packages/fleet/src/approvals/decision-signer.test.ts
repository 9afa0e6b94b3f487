import { createHmac, generateKeyPairSync } from "node:crypto";
import { generateDecisionKeyPair, parseSigningKeys, parseVerifyKeys, type SignedDecision } from "@pyfleet/core";
import { describe, expect, it } from "vitest";
import { canonicalDecision, DecisionSigner, type UnsignedDecision } from "./decision-signer.js";
import { DecisionVerifier } from "./decision-verifier.js";

const base: UnsignedDecision = {
  approvalId: "a1",
  runId: "r1",
  attempt: 2,
  codeHash: "a".repeat(64),
  mode: "write_access",
  decision: "approve",
  approvers: ["bob", "alice"],
  reason: "looks right",
  writePvs: ["SR:MAG:QF1:CURRENT_SP", "SR:MAG:QD1:CURRENT_SP"],
  manifestHash: "c".repeat(64),
  expiresAt: "2030-01-01T00:00:00.000Z",
  signedAt: "2029-12-31T00:00:00.000Z",
};

describe("DecisionSigner / DecisionVerifier (Ed25519)", () => {
  const k1 = generateDecisionKeyPair("k1");
  const k0 = generateDecisionKeyPair("k0");
  const signer = new DecisionSigner(parseSigningKeys(`${k1.signing},${k0.signing}`), "k1");
  const verifier = new DecisionVerifier(parseVerifyKeys(`${k1.verify},${k0.verify}`));

  it("signs with the current key; a verifier holding only public keys accepts it", () => {
    const d = signer.sign(base);
    expect(d.keyId).toBe("k1");
    expect(d.signature).toMatch(/^[A-Za-z0-9_-]{86}$/);
    expect(verifier.isValid(d)).toBe(true);
  });

  it("does not depend on approver order but on every signed field", () => {
    const d = signer.sign(base);
    expect(verifier.isValid({ ...d, approvers: ["alice", "bob"] })).toBe(true);
    for (const change of [
      { codeHash: "b".repeat(64) },
      { attempt: 3 },
      { mode: "read_only" as const },
      { decision: "reject" as const },
      { approvers: ["alice"] },
      { expiresAt: "2031-01-01T00:00:00.000Z" },
      { runId: "r2" },
      { reason: "other" },
      // the approved write manifest: another PV set or manifest is another decision
      { writePvs: ["SR:MAG:QF1:CURRENT_SP"] },
      { writePvs: ["SR:MAG:QF1:CURRENT_SP", "SR:MAG:QD1:CURRENT_SP", "SR:INTLK:ENABLE"] },
      { manifestHash: "d".repeat(64) },
      { manifestHash: null },
    ]) {
      expect(verifier.isValid({ ...d, ...change })).toBe(false);
    }
  });

  it("rotates: an older key's signatures verify while listed; unknown keys and swapped key ids do not", () => {
    const old = new DecisionSigner(parseSigningKeys(k0.signing), "k0").sign(base);
    expect(verifier.isValid(old)).toBe(true);
    expect(new DecisionVerifier(parseVerifyKeys(k1.verify)).isValid(old)).toBe(false);
    const other = new DecisionSigner(parseSigningKeys(generateDecisionKeyPair("k9").signing), "k9").sign(base);
    expect(verifier.isValid(other)).toBe(false);
    expect(verifier.isValid({ ...old, keyId: "k1" })).toBe(false);
  });

  it("an executor cannot make a decision another executor accepts", () => {
    // Everything an executor holds: the PYFLEET_VERIFY_KEYS value.
    const executorEnv = `${k1.verify},${k0.verify}`;
    const otherExecutor = new DecisionVerifier(parseVerifyKeys(executorEnv));
    const forged = { ...base, runId: "r-forged", keyId: "k1" };
    const payload = canonicalDecision(forged);
    // The old scheme's attack: the verification material used as an HMAC secret.
    for (const [id, b64] of executorEnv.split(",").map((e) => e.split(":") as [string, string])) {
      const mac = createHmac("sha256", b64).update(payload).digest();
      const attempt: SignedDecision = { ...forged, keyId: id, signature: mac.toString("base64url") };
      expect(otherExecutor.isValid(attempt)).toBe(false);
      expect(otherExecutor.isValid({ ...attempt, signature: mac.toString("hex") })).toBe(false);
    }
    // The public keys cannot be loaded as signing keys.
    expect(() => parseSigningKeys(executorEnv)).toThrow(/not an Ed25519 private key/);
    // A fresh key pair under the real key id is not the approver's key.
    const own = generateKeyPairSync("ed25519").privateKey;
    const selfSigned = new DecisionSigner(new Map([["k1", own]]), "k1").sign({ ...base, runId: "r-forged" });
    expect(otherExecutor.isValid(selfSigned)).toBe(false);
    // The real approver's decision for the same content is accepted: the refusals above are the key's.
    expect(otherExecutor.isValid(signer.sign({ ...base, runId: "r-forged" }))).toBe(true);
  });

  it("recognises old HMAC signatures (refused by the approval verifier)", () => {
    const hmac = { ...signer.sign(base), signature: createHmac("sha256", "0123456789abcdef0123").update("x").digest("hex") };
    expect(DecisionVerifier.isLegacyHmac(hmac)).toBe(true);
    expect(verifier.isValid(hmac)).toBe(false);
    expect(DecisionVerifier.isLegacyHmac(signer.sign(base))).toBe(false);
  });

  it("rejects bad key configuration with a sentence", () => {
    expect(() => parseSigningKeys(undefined)).toThrow(/PYFLEET_SIGNING_KEYS is not set: .*generateKeyPairSync/);
    expect(() => parseSigningKeys("k1:0123456789abcdef0123")).toThrow(/key "k1" is not an Ed25519 private key .*HMAC secrets are no longer accepted/);
    expect(() => parseSigningKeys(`${k1.signing},${k1.signing}`)).toThrow(/key id "k1" appears twice/);
    expect(() => parseSigningKeys("justakey")).toThrow(/must be "<keyId>:<base64/);
    expect(() => parseVerifyKeys(k1.signing, "PYFLEET_VERIFY_KEYS")).toThrow(/PYFLEET_VERIFY_KEYS: key "k1" is not an Ed25519 public key .*never the approver's private keys/);
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({ type: "pkcs8", format: "der" }).toString("base64");
    expect(() => parseSigningKeys(`k1:${rsa}`)).toThrow(/not an Ed25519 private key \(it is rsa\)/);
    expect(() => new DecisionSigner(parseSigningKeys(k1.signing), "k7")).toThrow(/signing_key_id "k7" is not among/);
    expect(() => new DecisionVerifier(parseSigningKeys(k1.signing))).toThrow(/not an Ed25519 public key/);
  });
});
