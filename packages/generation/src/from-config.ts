import type { PyfleetConfig } from "@pyfleet/core";
import type { GeneratorOptions } from "./options.js";

/**
 * Generator options from the loaded config: `models.python_code_generator` as is, plus the
 * control-system and analysis settings the prompt's rules depend on.
 */
export function generatorOptionsFromConfig(
  config: Pick<PyfleetConfig, "models" | "control_system" | "analysis">,
): GeneratorOptions {
  return {
    ...config.models.python_code_generator,
    writes_enabled: config.control_system.writes_enabled,
    control_system: config.control_system.type,
    analysis_rules: config.analysis.rules,
  };
}
