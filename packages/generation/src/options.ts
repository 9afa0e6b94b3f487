import { configDefaults, type PyfleetConfig, PyfleetError } from "@pyfleet/core";
import type { PromptTemplates } from "./prompt/templates.js";

/** `models.python_code_generator` of the loaded config, every key present. */
type GeneratorConfig = PyfleetConfig["models"]["python_code_generator"];

/**
 * Settings of the code generator: `models.python_code_generator` of config.yml (see its schema
 * for each key), plus the control-system and analysis settings the prompt's rules depend on
 * (`generatorOptionsFromConfig` maps them). Every key but `model` is optional; the defaults are
 * the config schema's.
 */
export type GeneratorOptions = Partial<Omit<GeneratorConfig, "model">> & {
  /** Model, or Azure deployment name. */
  model: string;
  /** `control_system.writes_enabled`: false tells the model never to write. */
  writes_enabled?: PyfleetConfig["control_system"]["writes_enabled"];
  /** `control_system.type`, named in the rules. */
  control_system?: PyfleetConfig["control_system"]["type"];
  /** `analysis.rules` (rule id → block | warn | allow): rules set to `allow` are not forbidden in the prompt. */
  analysis_rules?: PyfleetConfig["analysis"]["rules"];
  /** Overrides of the prompt templates (see `DEFAULT_TEMPLATES`). */
  templates?: Partial<PromptTemplates>;
};

/** Options with every default applied and the endpoint and key resolved from the env. */
export interface ResolvedOptions extends Required<Omit<GeneratorOptions, "templates" | "base_url" | "azure_api_version">> {
  base_url: string | null;
  azure_api_version: string | null;
  api_key: string | null;
  templates: Partial<PromptTemplates>;
}

/** The schema's defaults of every option that has one (the model, endpoint and api version have none here). */
function generatorDefaults() {
  const { models, control_system, analysis } = configDefaults();
  const { base_url: _url, model: _model, azure_api_version: _azure, ...generator } = models.python_code_generator;
  return { ...generator, writes_enabled: control_system.writes_enabled, control_system: control_system.type, analysis_rules: analysis.rules };
}

const PATH = "models.python_code_generator";

/**
 * Applies defaults, reads the key and the fallback base URL from `env`, and checks ranges.
 * @throws PyfleetError LLM_CONFIG naming the key to set.
 */
export function resolveOptions(options: GeneratorOptions, env: Record<string, string | undefined>): ResolvedOptions {
  const defaults = generatorDefaults();
  const o = { ...defaults, ...stripUndefined(options) };
  const apiKeyEnv = o.api_key_env || defaults.api_key_env;
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
