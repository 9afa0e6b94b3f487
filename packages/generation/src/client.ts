import OpenAI, { AzureOpenAI } from "openai";
import type { ResolvedOptions } from "./options.js";

/** Sent as the key to local servers (vLLM, Ollama, LM Studio) that need none. */
export const PLACEHOLDER_API_KEY = "sk-no-key-required";
const OPENAI_BASE_URL = "https://api.openai.com/v1";

/** The endpoint requests go to, for error messages and logs. */
export function effectiveBaseUrl(o: ResolvedOptions): string {
  return o.base_url ?? OPENAI_BASE_URL;
}

/**
 * Builds the openai client. Retries are pyfleet's own (small, configurable backoff and a deadline
 * that covers the whole streamed body), so the client's are switched off.
 */
export function createClient(o: ResolvedOptions): OpenAI {
  const timeout = Math.ceil(o.timeout_seconds * 1000);
  if (o.azure_api_version) {
    return new AzureOpenAI({
      endpoint: o.base_url ?? undefined,
      apiKey: o.api_key ?? undefined,
      apiVersion: o.azure_api_version,
      deployment: o.model,
      maxRetries: 0,
      timeout,
    });
  }
  return new OpenAI({
    baseURL: effectiveBaseUrl(o),
    apiKey: o.api_key ?? PLACEHOLDER_API_KEY,
    maxRetries: 0,
    timeout,
  });
}
