import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { PyfleetError } from "../errors.js";
import type { PyfleetConfig } from "./schema.js";
import { requireSecret, secretEnvVar } from "./secrets.js";
import type { Env } from "./substitute.js";

/**
 * Ed25519 keys of approval decisions (ARCHITECTURE §5). The approver holds the private keys
 * (`PYFLEET_SIGNING_KEYS`, a secret); executors hold only the public keys
 * (`PYFLEET_VERIFY_KEYS`, not a secret), so no executor can make a decision another accepts.
 * Both variables are `<keyId>:<base64 DER>` entries separated by commas: PKCS#8 for private
 * keys, SPKI for public keys — what `openssl genpkey -algorithm ed25519 -outform DER | base64 -w0`
 * and `openssl pkey -pubout -outform DER` print.
 */
const KEY_ID = /^[A-Za-z0-9_.-]{1,32}$/;

const HOW_TO_GENERATE =
  "generate a pair with: node -e 'const{privateKey:p,publicKey:q}=require(\"crypto\").generateKeyPairSync(\"ed25519\");" +
  'console.log("PYFLEET_SIGNING_KEYS=k1:"+p.export({type:"pkcs8",format:"der"}).toString("base64"));' +
  "console.log(\"PYFLEET_VERIFY_KEYS=k1:\"+q.export({type:\"spki\",format:\"der\"}).toString(\"base64\"))'";

function entries(value: string | undefined, envName: string, what: string): Array<[string, Buffer]> {
  if (!value?.trim()) {
    throw new PyfleetError("CONFIG_INVALID", `${envName} is not set: set it to "<keyId>:<base64 ${what}>[,<keyId>:…]"; ${HOW_TO_GENERATE}`);
  }
  const out: Array<[string, Buffer]> = [];
  for (const part of value.split(",")) {
    const i = part.indexOf(":");
    const id = part.slice(0, Math.max(i, 0)).trim();
    const data = part.slice(i + 1).trim();
    if (i <= 0 || !KEY_ID.test(id) || !data) {
      throw new PyfleetError(
        "CONFIG_INVALID",
        `${envName}: entry "${id || part.trim().slice(0, 8)}…" must be "<keyId>:<base64 ${what}>" (key id of 1-32 letters, digits, _ . -)`,
      );
    }
    if (out.some(([seen]) => seen === id)) throw new PyfleetError("CONFIG_INVALID", `${envName}: key id "${id}" appears twice`);
    out.push([id, Buffer.from(data, "base64")]);
  }
  return out;
}

function notEd25519(envName: string, id: string, what: string, extra = ""): PyfleetError {
  return new PyfleetError(
    "CONFIG_INVALID",
    `${envName}: key "${id}" is not an Ed25519 ${what}${extra}; ${HOW_TO_GENERATE}`,
  );
}

/**
 * Parses Ed25519 private keys (`k1:<base64 PKCS#8 DER>,k0:…`) into key id → key.
 * @throws PyfleetError CONFIG_INVALID when empty, malformed, not Ed25519, or an old HMAC secret.
 */
export function parseSigningKeys(value: string | undefined, envName = "PYFLEET_SIGNING_KEYS"): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>();
  for (const [id, der] of entries(value, envName, "PKCS#8 Ed25519 private key")) {
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: der, format: "der", type: "pkcs8" });
    } catch {
      throw notEd25519(envName, id, "private key", " (base64 PKCS#8 DER expected; HMAC secrets are no longer accepted, decisions are signed with Ed25519)");
    }
    if (key.asymmetricKeyType !== "ed25519") throw notEd25519(envName, id, "private key", ` (it is ${key.asymmetricKeyType})`);
    keys.set(id, key);
  }
  return keys;
}

/**
 * Parses Ed25519 public keys (`k1:<base64 SPKI DER>,k0:…`) into key id → key.
 * @throws PyfleetError CONFIG_INVALID when empty, malformed, not Ed25519, or a private key.
 */
export function parseVerifyKeys(value: string | undefined, envName = "PYFLEET_VERIFY_KEYS"): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>();
  for (const [id, der] of entries(value, envName, "SPKI Ed25519 public key")) {
    let key: KeyObject;
    try {
      key = createPublicKey({ key: der, format: "der", type: "spki" });
    } catch {
      throw notEd25519(envName, id, "public key", " (base64 SPKI DER expected; give executors the public keys only, never the approver's private keys)");
    }
    if (key.asymmetricKeyType !== "ed25519") throw notEd25519(envName, id, "public key", ` (it is ${key.asymmetricKeyType})`);
    keys.set(id, key);
  }
  return keys;
}

/**
 * The approver's private keys from `approver.signing_keys_env`, checked to contain
 * `approver.signing_key_id` (the key that signs new decisions).
 * @throws PyfleetError `CONFIG_INVALID` when the variable is unset, malformed or lacks the current key.
 */
export function signingKeys(config: PyfleetConfig, env: Env): Map<string, KeyObject> {
  const { variable } = secretEnvVar(config, "signing_keys");
  const keys = parseSigningKeys(requireSecret(config, env, "signing_keys"), variable);
  if (!keys.has(config.approver.signing_key_id)) {
    throw new PyfleetError(
      "CONFIG_INVALID",
      `${variable} has no key "${config.approver.signing_key_id}" (framework.approver.signing_key_id); it has ${[...keys.keys()].join(", ")}`,
    );
  }
  return keys;
}

/**
 * The executors' public keys from `approver.verify_keys_env`, or `undefined` when the variable
 * is unset or empty (such a process refuses every decision).
 * @throws PyfleetError `CONFIG_INVALID` when it is set but malformed.
 */
export function verifyKeys(config: PyfleetConfig, env: Env): Map<string, KeyObject> | undefined {
  const variable = config.approver.verify_keys_env;
  const value = env[variable];
  if (value === undefined || value.trim() === "") return undefined;
  return parseVerifyKeys(value, variable);
}

/** A fresh Ed25519 key pair in the variables' form: `{ signing: "id:<pkcs8>", verify: "id:<spki>" }`. */
export function generateDecisionKeyPair(keyId = "k1"): { signing: string; verify: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return {
    signing: `${keyId}:${privateKey.export({ type: "pkcs8", format: "der" }).toString("base64")}`,
    verify: `${keyId}:${publicKey.export({ type: "spki", format: "der" }).toString("base64")}`,
  };
}

/** The `PYFLEET_VERIFY_KEYS` value matching a `PYFLEET_SIGNING_KEYS` value (the public halves). */
export function verifyKeysOf(signingValue: string, envName = "PYFLEET_SIGNING_KEYS"): string {
  return [...parseSigningKeys(signingValue, envName)]
    .map(([id, key]) => `${id}:${createPublicKey(key).export({ type: "spki", format: "der" }).toString("base64")}`)
    .join(",");
}
