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

/** The secret of a webhook from its `secret_env`, or `undefined` when it names none or it is unset. */
export function webhookSecret(hook: { secret_env?: string | undefined }, env: Env): string | undefined {
  if (!hook.secret_env) return undefined;
  const value = env[hook.secret_env];
  return value === undefined || value === "" ? undefined : value;
}
