import { describe, expect, it } from "vitest";
import { isSecretKey, scrubSecrets } from "./secrets.js";

describe("scrubSecrets", () => {
  it("drops secret keys at any depth, keeps env-var names and key ids, strips URL credentials", () => {
    const cfg = {
      models: { m: { api_key: "sk", api_key_env: "OPENAI_API_KEY", base_url: "https://u:p@llm.example/v1" } },
      approver: { tokens: [{ sha256: "x" }], signing_key_id: "k1", signing_keys_env: "PYFLEET_SIGNING_KEYS" },
      list: [{ password: "p", keep: 1 }],
      n: 3,
    };
    expect(scrubSecrets(cfg)).toEqual({
      models: { m: { api_key_env: "OPENAI_API_KEY", base_url: "https://llm.example/v1" } },
      approver: { signing_key_id: "k1", signing_keys_env: "PYFLEET_SIGNING_KEYS" },
      list: [{ keep: 1 }],
      n: 3,
    });
    expect(cfg.models.m.api_key).toBe("sk");
  });

  it("classifies key names", () => {
    for (const k of ["apiKey", "API_KEY", "jupyter_token", "client_secret", "Authorization", "signing_keys"]) expect(isSecretKey(k)).toBe(true);
    for (const k of ["jupyter_token_env", "model", "signing_key_id", "keep_completed"]) expect(isSecretKey(k)).toBe(false);
  });
});
