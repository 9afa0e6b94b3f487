import { PyfleetError } from "../errors.js";
import type { PyfleetConfig } from "./schema.js";
import type { Env } from "./substitute.js";

/** The secrets a config names by environment variable (values never live in the file). */
export const SECRET_NAMES = ["llm_api_key", "jupyter_token", "signing_keys"] as const;
export type SecretName = (typeof SECRET_NAMES)[number];

/** The environment variable `config` names for a secret, with the config key that names it. */
export function secretEnvVar(config: PyfleetConfig, name: SecretName): { variable: string; key: string } {
  switch (name) {
    case "llm_api_key":
      return {
        variable: config.models.python_code_generator.api_key_env,
        key: "framework.models.python_code_generator.api_key_env",
      };
    case "jupyter_token":
      return { variable: config.execution.container.jupyter_token_env, key: "framework.execution.container.jupyter_token_env" };
    case "signing_keys":
      return { variable: config.approver.signing_keys_env, key: "framework.approver.signing_keys_env" };
  }
}

/** Reads a secret from `env`; `undefined` when the variable is unset or empty. */
export function readSecret(config: PyfleetConfig, env: Env, name: SecretName): string | undefined {
  const value = env[secretEnvVar(config, name).variable];
  return value === undefined || value === "" ? undefined : value;
}

/**
 * Like {@link readSecret} but required.
 * @throws PyfleetError `CONFIG_INVALID` naming the variable to set and the key that names it.
 */
export function requireSecret(config: PyfleetConfig, env: Env, name: SecretName): string {
  const value = readSecret(config, env, name);
  if (value !== undefined) return value;
  const { variable, key } = secretEnvVar(config, name);
  throw new PyfleetError("CONFIG_INVALID", `environment variable ${variable} is not set (named by ${key})`, {
    issues: [{ path: key, message: `environment variable ${variable} is not set` }],
  });
}

/**
 * Parses the HMAC signing keys (`"k1:secret,k0:oldsecret"`) into key id → secret, and checks
 * that `approver.signing_key_id` is among them.
 * @throws PyfleetError `CONFIG_INVALID` when the variable is unset, malformed or lacks the current key.
 */
export function signingKeys(config: PyfleetConfig, env: Env): Map<string, string> {
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

/** The secret of a webhook from its `secret_env`, or `undefined` when it names none or it is unset. */
export function webhookSecret(hook: { secret_env?: string | undefined }, env: Env): string | undefined {
  if (!hook.secret_env) return undefined;
  const value = env[hook.secret_env];
  return value === undefined || value === "" ? undefined : value;
}

/**
 * Parses `PYFLEET_SIGNING_KEYS`-style values: `k1:secret,k0:oldsecret`.
 * @throws PyfleetError CONFIG_INVALID when empty, malformed, or a secret is shorter than 16 chars.
 */
export function parseSigningKeys(value: string | undefined, envName = "PYFLEET_SIGNING_KEYS"): Map<string, string> {
  if (!value?.trim()) {
    throw new PyfleetError(
      "CONFIG_INVALID",
      `${envName} is not set: set it to "<keyId>:<secret>[,<keyId>:<secret>…]" (secret at least 16 characters), e.g. ${envName}=k1:$(openssl rand -hex 32)`,
    );
  }
  const keys = new Map<string, string>();
  for (const part of value.split(",")) {
    const i = part.indexOf(":");
    const id = part.slice(0, i).trim();
    const secret = part.slice(i + 1).trim();
    if (i <= 0 || !id || secret.length < 16) {
      throw new PyfleetError(
        "CONFIG_INVALID",
        `${envName}: entry "${id || part.slice(0, 8)}…" must be "<keyId>:<secret>" with a secret of at least 16 characters`,
      );
    }
    keys.set(id, secret);
  }
  return keys;
}
