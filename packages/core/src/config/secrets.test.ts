import { describe, expect, it } from "vitest";
import { makeRequestSchema } from "../contracts/request.js";
import { PyfleetError } from "../errors.js";
import { loadConfigFromString } from "./load.js";
import { maskUrl, redactedConfig } from "./redact.js";
import { requestLimitsFrom } from "./request-limits.js";
import { generateDecisionKeyPair, signingKeys, verifyKeys, verifyKeysOf } from "./decision-keys.js";
import { readSecret, requireSecret, webhookSecret } from "./secrets.js";

const config = loadConfigFromString(
  [
    "framework:",
    "  models:",
    "    python_code_generator: { api_key_env: SITE_LLM_KEY, base_url: 'https://user:pw@llm.local/v1' }",
    "  approver:",
    "    signing_key_id: k2",
    `    tokens: [{ sha256: ${"d".repeat(64)}, identity: alice, roles: [approver] }]`,
    "    webhooks: [{ url: 'https://hooks.local/x', secret_env: HOOK_SECRET }]",
    "  limits: { max_code_bytes: 2048, max_context_bytes: 4096 }",
    `  producer: { tokens: [{ sha256: ${"c".repeat(64)}, identity: backend-a }] }`,
  ].join("\n"),
  { env: { REDIS_URL: "redis://:hunter2@redis.local:6379/2" } },
);

describe("secrets", () => {
  it("reads a secret from the variable the config names, never from another", () => {
    expect(readSecret(config, { SITE_LLM_KEY: "sk-site", OPENAI_API_KEY: "sk-default" }, "llm_api_key")).toBe("sk-site");
    expect(readSecret(config, { OPENAI_API_KEY: "sk-default" }, "llm_api_key")).toBeUndefined();
    expect(readSecret(config, { SITE_LLM_KEY: "" }, "llm_api_key")).toBeUndefined();
    expect(readSecret(config, { JUPYTER_TOKEN: "tok" }, "jupyter_token")).toBe("tok");
  });

  it("requireSecret names the variable and the key that names it", () => {
    expect(() => requireSecret(config, {}, "llm_api_key")).toThrow(
      "environment variable SITE_LLM_KEY is not set (named by framework.models.python_code_generator.api_key_env)",
    );
  });

  it("parses rotating Ed25519 signing keys, insists on the current key id, reads verify keys", () => {
    const k2 = generateDecisionKeyPair("k2");
    const k1 = generateDecisionKeyPair("k1");
    const keys = signingKeys(config, { PYFLEET_SIGNING_KEYS: `${k2.signing}, ${k1.signing}` });
    expect([...keys.keys()]).toEqual(["k2", "k1"]);
    expect([...keys.values()].map((k) => [k.type, k.asymmetricKeyType])).toEqual([
      ["private", "ed25519"],
      ["private", "ed25519"],
    ]);
    expect(verifyKeysOf(`${k2.signing},${k1.signing}`)).toBe(`${k2.verify},${k1.verify}`);
    expect(() => signingKeys(config, { PYFLEET_SIGNING_KEYS: k1.signing })).toThrow(
      'PYFLEET_SIGNING_KEYS has no key "k2" (framework.approver.signing_key_id); it has k1',
    );
    const malformed = (() => {
      try {
        signingKeys(config, { PYFLEET_SIGNING_KEYS: `${k2.signing},justakey` });
      } catch (err) {
        return err as PyfleetError;
      }
      return undefined;
    })();
    expect(malformed).toBeInstanceOf(PyfleetError);
    expect(malformed?.code).toBe("CONFIG_INVALID");
    expect(malformed?.message).toContain('must be "<keyId>:<base64 PKCS#8 Ed25519 private key>"');
    expect(() => signingKeys(config, { PYFLEET_SIGNING_KEYS: "k2:old-hmac-secret-0123456789" })).toThrow("HMAC secrets are no longer accepted");
    expect(verifyKeys(config, {})).toBeUndefined();
    expect([...(verifyKeys(config, { PYFLEET_VERIFY_KEYS: `${k2.verify},${k1.verify}` }) ?? new Map()).keys()]).toEqual(["k2", "k1"]);
    expect(() => verifyKeys(config, { PYFLEET_VERIFY_KEYS: k2.signing })).toThrow('PYFLEET_VERIFY_KEYS: key "k2" is not an Ed25519 public key');
  });

  it("reads webhook secrets by their secret_env", () => {
    const hook = config.approver.webhooks[0];
    expect(hook && webhookSecret(hook, { HOOK_SECRET: "h" })).toBe("h");
    expect(webhookSecret({}, { HOOK_SECRET: "h" })).toBeUndefined();
  });
});

describe("redactedConfig", () => {
  it("masks credentials in URLs and token hashes, and leaves the original untouched", () => {
    const red = redactedConfig(config);
    expect(red.redis.url).toBe("redis://:***@redis.local:6379/2");
    expect(red.models.python_code_generator.base_url).toBe("https://user:***@llm.local/v1");
    expect(red.approver.webhooks[0]?.url).toBe("https://hooks.local/x");
    expect(config.redis.url).toBe("redis://:hunter2@redis.local:6379/2");
    expect(red.approver.tokens).toEqual([{ sha256: "***", identity: "alice", roles: ["approver"] }]);
    expect(red.producer.tokens).toEqual([{ sha256: "***", identity: "backend-a" }]);
    expect(config.producer.tokens[0]?.sha256).toBe("c".repeat(64));
    for (const secretish of ["hunter2", ":pw@", "c".repeat(64), "d".repeat(64)]) {
      expect(JSON.stringify(red)).not.toContain(secretish);
    }
  });

  it("maskUrl hides a user-only credential and ignores non-URLs", () => {
    expect(maskUrl("redis://token@host:6379")).toBe("redis://***@host:6379");
    expect(maskUrl("./relative/path")).toBe("./relative/path");
    expect(maskUrl("")).toBe("");
  });
});

describe("requestLimitsFrom", () => {
  it("maps limits onto the request schema, which then enforces them", () => {
    expect(requestLimitsFrom(config)).toEqual({ maxCodeBytes: 2048, maxContextBytes: 4096, maxJsonDepth: 64 });
    const schema = makeRequestSchema(requestLimitsFrom(config));
    const base = { user_query: "q", task_objective: "t" };
    expect(schema.safeParse({ ...base, code: "x".repeat(2048) }).success).toBe(true);
    expect(schema.safeParse({ ...base, code: "x".repeat(2049) }).success).toBe(false);
    expect(schema.safeParse({ ...base, capability_context_data: { blob: "y".repeat(5000) } }).success).toBe(false);
  });
});
