import type { RequestLimits } from "../contracts/request.js";
import type { PyfleetConfig } from "./schema.js";

type LimitsOf = Pick<PyfleetConfig["limits"], "max_code_bytes" | "max_context_bytes" | "max_json_depth">;

/** The request size and nesting limits of `config.limits`, for `makeRequestSchema`. */
export function requestLimitsFrom(config: { limits: LimitsOf }): RequestLimits {
  const { limits } = config;
  return { maxCodeBytes: limits.max_code_bytes, maxContextBytes: limits.max_context_bytes, maxJsonDepth: limits.max_json_depth };
}
