import type { Env } from "./substitute.js";

/**
 * Keys whose default comes from an environment variable, written in config.yml as
 * `${VARIABLE:-fallback}`. One table so the schema, the messages and the sync test agree.
 */
export const ENV_DEFAULTS = {
  "execution.execution_method": ["PYFLEET_EXECUTION_METHOD", "local"],
  "execution.container.jupyter_host": ["JUPYTER_HOST", "127.0.0.1"],
  "execution.container.jupyter_port": ["JUPYTER_PORT", "8888"],
  "execution.local.python_env_path": ["LOCAL_PYTHON_VENV", ".venv"],
  "redis.url": ["REDIS_URL", "redis://127.0.0.1:6379"],
  "redis.prefix": ["PYFLEET_PREFIX", "pyfleet"],
  "artifacts.root": ["PYFLEET_ARTIFACTS", "./.pyfleet/artifacts"],
  "artifacts.notebook_base_url": ["PYFLEET_NOTEBOOK_BASE_URL", ""],
  "models.python_code_generator.base_url": ["OPENAI_BASE_URL", ""],
  "models.python_code_generator.model": ["PYFLEET_MODEL", "gpt-4o-mini"],
  "approver.signing_key_id": ["PYFLEET_SIGNING_KEY_ID", "k1"],
} as const satisfies Record<string, readonly [string, string]>;

export type EnvDefaultKey = keyof typeof ENV_DEFAULTS;

/** Resolves the default of an {@link ENV_DEFAULTS} key: the variable when set and non-empty, else the fallback. */
export type EnvDefault = (key: EnvDefaultKey) => string;

export function envDefaults(env: Env): EnvDefault {
  return (key) => {
    const [variable, fallback] = ENV_DEFAULTS[key];
    const value = env[variable];
    return value === undefined || value === "" ? fallback : value;
  };
}

/** The variable that supplied the default of `key` in `env`, if any (for messages). */
export function envDefaultSource(key: string, env: Env): string | undefined {
  const entry = (ENV_DEFAULTS as Record<string, readonly [string, string]>)[key];
  if (!entry) return undefined;
  const value = env[entry[0]];
  return value === undefined || value === "" ? undefined : entry[0];
}
