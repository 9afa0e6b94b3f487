import type { ConfigIssue } from "./issues.js";
import type { PyfleetConfig } from "./schema.js";

/**
 * Settings that are valid on their own but do not work together with pyfleet's write safety.
 * Executors run `write_access` code only with a signed human approval (ARCHITECTURE §5), so a
 * policy that lets write runs skip approval while writes are enabled makes every write run fail
 * at execute with `APPROVAL_MISSING`. That is safe but surprising, so it is said at start-up;
 * it is a warning, not an error, because the original system's layout allows such a policy.
 */
export function policyWarnings(config: PyfleetConfig): ConfigIssue[] {
  if (!config.control_system.writes_enabled) return [];
  const writeMode = config.execution.modes.write_access;
  if (writeMode.requires_approval) return [];
  const approval = config.approval;
  const capability = approval.capabilities.python_execution;
  const why =
    approval.global_mode === "disabled"
      ? "approval.global_mode is disabled"
      : approval.global_mode === "selective" && !capability.enabled
        ? "approval.capabilities.python_execution.enabled is false"
        : approval.global_mode === "selective" && capability.mode === "disabled"
          ? "approval.capabilities.python_execution.mode is disabled"
          : null;
  if (!why) return [];
  return [
    {
      path: "framework.execution.modes.write_access.requires_approval",
      message:
        `is false and ${why}, so write runs are never sent for approval; executors run write_access code only with a signed ` +
        "approval, so every write run will fail at execute (APPROVAL_MISSING). Set it to true, or set " +
        "control_system.writes_enabled: false to refuse writes at analysis",
    },
  ];
}
