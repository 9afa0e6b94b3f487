import { loadConfigFromString } from "@pyfleet/core";
import { describe, expect, it } from "vitest";
import { generatorOptionsFromConfig } from "./from-config.js";
import { resolveOptions } from "./options.js";

describe("generatorOptionsFromConfig", () => {
  it("maps models.python_code_generator, control_system and analysis.rules", () => {
    const yaml = [
      "framework:",
      "  models:",
      "    python_code_generator:",
      "      base_url: http://vllm.local:8000/v1",
      "      model: qwen-coder",
      "      max_tokens: 2048",
      "      feedback_errors: 3",
      "  control_system:",
      "    type: tango",
      "    writes_enabled: false",
      "  analysis:",
      "    rules: { network: allow }",
      "",
    ].join("\n");
    const options = generatorOptionsFromConfig(loadConfigFromString(yaml, { env: {}, onWarning: () => {} }));
    expect(options).toMatchObject({
      base_url: "http://vllm.local:8000/v1",
      model: "qwen-coder",
      max_tokens: 2048,
      feedback_errors: 3,
      writes_enabled: false,
      control_system: "tango",
      analysis_rules: { network: "allow" },
    });
    const resolved = resolveOptions(options, {});
    expect(resolved.base_url).toBe("http://vllm.local:8000/v1");
    expect(resolved.api_key).toBeNull();
  });
});
