import type { RequestLimits } from "../contracts/request.js";
import type { PyfleetConfig } from "./schema.js";

/** The request size limits of `config.limits`, for `makeRequestSchema`. */
export function requestLimitsFrom(config: PyfleetConfig): RequestLimits {
  return { maxCodeBytes: config.limits.max_code_bytes, maxContextBytes: config.limits.max_context_bytes };
}
