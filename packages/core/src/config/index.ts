export { configDefaults, type DeepPartial, withDefaults } from "./defaults.js";
export { ENV_DEFAULTS } from "./env-defaults.js";
export { type ConfigIssue, formatPath } from "./issues.js";
export { type LoadConfigOptions, loadConfig, loadConfigFromString, resolveConfigPath } from "./load.js";
export { maskUrl, redactedConfig } from "./redact.js";
export { requestLimitsFrom } from "./request-limits.js";
export {
  APPROVER_ROLES,
  CHECKPOINTER_TYPES,
  CONTROL_SYSTEM_TYPES,
  RULE_LEVELS,
  WEBHOOK_EVENTS,
} from "./schema-fleet.js";
export {
  APPROVAL_GLOBAL_MODES,
  type ApprovalGlobalMode,
  PYTHON_APPROVAL_MODES,
  PYTHON_APPROVAL_MODES_ACCEPTED,
  type PythonApprovalMode,
} from "./schema-original.js";
export { configSchema, type PyfleetConfig } from "./schema.js";
export {
  generateDecisionKeyPair,
  parseSigningKeys,
  parseVerifyKeys,
  signingKeys,
  verifyKeys,
  verifyKeysOf,
} from "./decision-keys.js";
export {
  readSecret,
  requireSecret,
  SECRET_NAMES,
  type SecretName,
  secretEnvVar,
  webhookSecret,
} from "./secrets.js";
export { type Env, substituteString } from "./substitute.js";
export { closestKey } from "./unknown-keys.js";
