import { PyfleetError } from "@pyfleet/core";
import type { PromptTemplates } from "./prompt/templates.js";

/**
 * Settings of the code generator. The snake_case keys mirror `models.python_code_generator`
 * in config.yml; the rest are pyfleet tuning knobs with safe defaults.
 */
export interface GeneratorOptions {
  /** OpenAI-compatible endpoint; empty means `OPENAI_BASE_URL` from the env, then api.openai.com. */
  base_url?: string;
  /** Model, or Azure deployment name. */
  model: string;
  temperature?: number;
  /** Completion limit; a reply cut off by `length` is retried once with twice this. */
  max_tokens?: number;
  /** Deadline of one HTTP request including the whole streamed body. */
  timeout_seconds?: number;
  /** Retries of 429 / 5xx / resets / timeouts inside one `generate` call. */
  max_retries?: number;
  /** Non-empty: talk to Azure OpenAI with this api-version (`base_url` = the resource endpoint). */
  azure_api_version?: string;
  /** Name of the env var holding the key (default `OPENAI_API_KEY`). */
  api_key_env?: string;
  /** Save prompt.json and reply.md in the attempt folder. */
  save_prompts?: boolean;
  /** How many of the latest error-chain entries are fed back (default 2). */
  feedback_errors?: number;
  /** `control_system.writes_enabled`: false tells the model never to write. Default true. */
  writes_enabled?: boolean;
  /** `control_system.type`, named in the rules (default `epics`). */
  control_system?: "epics" | "tango" | "none";
  /** `analysis.rules` (rule id → block | warn | allow): rules set to `allow` are not forbidden in the prompt. */
  analysis_rules?: Record<string, "block" | "warn" | "allow">;
  /** First retry delay; doubles each retry up to `retry_backoff_max_ms` (defaults 500 / 8000). */
  retry_backoff_ms?: number;
  retry_backoff_max_ms?: number;
  /** `onChunk` gets text at most this often ... (default 200 ms) */
  stream_batch_ms?: number;
  /** ... or as soon as this many characters are waiting (default 512). */
  stream_batch_chars?: number;
  /** Character budget of the context summary in the prompt (default 4000). */
  context_summary_chars?: number;
  /** Overrides of the prompt templates (see `DEFAULT_TEMPLATES`). */
  templates?: Partial<PromptTemplates>;
}

/** Options with every default applied and the endpoint and key resolved from the env. */
export interface ResolvedOptions extends Required<Omit<GeneratorOptions, "templates" | "base_url" | "azure_api_version">> {
  base_url: string | null;
  azure_api_version: string | null;
  api_key: string | null;
  templates: Partial<PromptTemplates>;
}

export const DEFAULT_OPTIONS = {
  temperature: 0.2,
  max_tokens: 4096,
  timeout_seconds: 120,
  max_retries: 3,
  api_key_env: "OPENAI_API_KEY",
  save_prompts: true,
  feedback_errors: 2,
  writes_enabled: true,
  control_system: "epics",
  analysis_rules: {},
  retry_backoff_ms: 500,
  retry_backoff_max_ms: 8000,
  stream_batch_ms: 200,
  stream_batch_chars: 512,
  context_summary_chars: 4000,
} as const;

const PATH = "models.python_code_generator";

/**
 * Applies defaults, reads the key and the fallback base URL from `env`, and checks ranges.
 * @throws PyfleetError LLM_CONFIG naming the key to set.
 */
export function resolveOptions(options: GeneratorOptions, env: Record<string, string | undefined>): ResolvedOptions {
  const o = { ...DEFAULT_OPTIONS, ...stripUndefined(options) };
  const apiKeyEnv = o.api_key_env || DEFAULT_OPTIONS.api_key_env;
  const baseUrl = nonEmpty(options.base_url) ?? nonEmpty(env.OPENAI_BASE_URL);
  const apiKey = nonEmpty(env[apiKeyEnv]);
  const azure = nonEmpty(options.azure_api_version);

  const model = nonEmpty(options.model);
  if (!model) fail(`${PATH}.model is empty: set it (or PYFLEET_MODEL) to a model or Azure deployment name`);
  if (!apiKey && !baseUrl) {
    fail(
      `no LLM endpoint configured: set ${apiKeyEnv} for api.openai.com, or set ${PATH}.base_url ` +
        `(or OPENAI_BASE_URL) to an OpenAI-compatible server such as vLLM or Ollama`,
    );
  }
  if (azure && !baseUrl) fail(`${PATH}.azure_api_version is set but ${PATH}.base_url (the Azure resource endpoint) is empty`);
  if (azure && !apiKey) fail(`${PATH}.azure_api_version is set but ${apiKeyEnv} holds no Azure OpenAI key`);
  if (baseUrl && !/^https?:\/\//.test(baseUrl)) fail(`${PATH}.base_url must start with http:// or https:// (got "${baseUrl}")`);
  checkRange("temperature", o.temperature, 0, 2, false);
  checkRange("max_tokens", o.max_tokens, 1, 1_000_000, true);
  checkRange("timeout_seconds", o.timeout_seconds, 0.001, 86_400, false);
  checkRange("max_retries", o.max_retries, 0, 20, true);
  checkRange("feedback_errors", o.feedback_errors, 0, 100, true);
  checkRange("retry_backoff_ms", o.retry_backoff_ms, 0, 600_000, false);
  checkRange("retry_backoff_max_ms", o.retry_backoff_max_ms, 0, 600_000, false);
  checkRange("stream_batch_ms", o.stream_batch_ms, 0, 60_000, false);
  checkRange("stream_batch_chars", o.stream_batch_chars, 1, 1_000_000, true);
  checkRange("context_summary_chars", o.context_summary_chars, 200, 1_000_000, true);

  return {
    ...o,
    model,
    api_key_env: apiKeyEnv,
    base_url: baseUrl ?? null,
    azure_api_version: azure ?? null,
    api_key: apiKey ?? null,
    templates: options.templates ?? {},
  };
}

function checkRange(name: string, v: number, min: number, max: number, integer: boolean): void {
  if (typeof v !== "number" || Number.isNaN(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    fail(`${PATH}.${name} must be ${integer ? "an integer" : "a number"} in [${min}, ${max}] (got ${String(v)})`);
  }
}

function fail(message: string): never {
  throw new PyfleetError("LLM_CONFIG", message);
}

function nonEmpty(s: string | undefined | null): string | undefined {
  const t = s?.trim();
  return t ? t : undefined;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
