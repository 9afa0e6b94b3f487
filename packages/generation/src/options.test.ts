import { isPyfleetError, type PyfleetError } from "@pyfleet/core";
import OpenAI, { AzureOpenAI } from "openai";
import { describe, expect, it } from "vitest";
import { createClient, PLACEHOLDER_API_KEY } from "./client.js";
import { OpenAICodeGenerator } from "./openai-code-generator.js";
import { resolveOptions } from "./options.js";

function configError(fn: () => unknown): PyfleetError {
  try {
    fn();
  } catch (err) {
    if (isPyfleetError(err)) return err;
    throw err;
  }
  throw new Error("expected a PyfleetError");
}

describe("resolveOptions / OpenAICodeGenerator.create", () => {
  it("no key and no base URL → LLM_CONFIG saying exactly what to set", () => {
    const e = configError(() => OpenAICodeGenerator.create({ model: "gpt-4o-mini" }, {}));
    expect(e.code).toBe("LLM_CONFIG");
    expect(e.category).toBe("configuration");
    expect(e.message).toContain("set OPENAI_API_KEY");
    expect(e.message).toContain("models.python_code_generator.base_url");
    expect(e.message).toContain("OPENAI_BASE_URL");
  });

  it("names the configured key variable", () => {
    const e = configError(() => resolveOptions({ model: "m", api_key_env: "FACILITY_LLM_KEY" }, { OPENAI_API_KEY: "x" }));
    expect(e.message).toContain("set FACILITY_LLM_KEY");
    expect(resolveOptions({ model: "m", api_key_env: "FACILITY_LLM_KEY" }, { FACILITY_LLM_KEY: "k" }).api_key).toBe("k");
  });

  it("a base URL without a key uses a placeholder key (local servers)", () => {
    const o = resolveOptions({ model: "llama3", base_url: "http://127.0.0.1:11434/v1" }, {});
    expect(o.api_key).toBeNull();
    const client = createClient(o);
    expect(client).toBeInstanceOf(OpenAI);
    expect(client.apiKey).toBe(PLACEHOLDER_API_KEY);
    expect(client.baseURL).toBe("http://127.0.0.1:11434/v1");
    expect(client.maxRetries).toBe(0);
  });

  it("falls back to OPENAI_BASE_URL from the env and applies defaults", () => {
    const o = resolveOptions({ model: "m", base_url: "" }, { OPENAI_BASE_URL: "http://vllm:8000/v1" });
    expect(o.base_url).toBe("http://vllm:8000/v1");
    expect(o).toMatchObject({ temperature: 0.2, max_tokens: 4096, timeout_seconds: 120, max_retries: 3, feedback_errors: 2 });
  });

  it("builds an AzureOpenAI client when azure_api_version is set", () => {
    const o = resolveOptions(
      { model: "my-deployment", base_url: "https://res.openai.azure.com", azure_api_version: "2024-10-21" },
      { OPENAI_API_KEY: "az" },
    );
    const client = createClient(o);
    expect(client).toBeInstanceOf(AzureOpenAI);
    expect(client.baseURL).toBe("https://res.openai.azure.com/openai");
    expect(configError(() => resolveOptions({ model: "d", azure_api_version: "2024-10-21" }, { OPENAI_API_KEY: "k" })).message).toContain(
      "base_url (the Azure resource endpoint) is empty",
    );
  });

  it("rejects out-of-range values and an empty model with the config path", () => {
    expect(configError(() => resolveOptions({ model: "m", temperature: 5 }, { OPENAI_API_KEY: "k" })).message).toContain(
      "models.python_code_generator.temperature",
    );
    expect(configError(() => resolveOptions({ model: "m", max_tokens: 0 }, { OPENAI_API_KEY: "k" })).message).toContain(
      "max_tokens",
    );
    expect(configError(() => resolveOptions({ model: " " }, { OPENAI_API_KEY: "k" })).message).toContain("model is empty");
    expect(configError(() => resolveOptions({ model: "m", base_url: "vllm:8000" }, {})).message).toContain("http://");
  });
});
