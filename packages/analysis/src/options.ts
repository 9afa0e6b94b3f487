import {
  APPROVAL_GLOBAL_MODES,
  configDefaults,
  type DeepPartial,
  PYTHON_APPROVAL_MODES_ACCEPTED,
  type PyfleetConfig,
  PyfleetError,
} from "@pyfleet/core";

export const GLOBAL_MODES = APPROVAL_GLOBAL_MODES;
export type GlobalMode = (typeof GLOBAL_MODES)[number];

/** `control_writes` is accepted as the original system's name for `epics_writes`. */
export const CAPABILITY_MODES = PYTHON_APPROVAL_MODES_ACCEPTED;
export type CapabilityMode = (typeof CAPABILITY_MODES)[number];

type PythonExecution = PyfleetConfig["approval"]["capabilities"]["python_execution"];

/**
 * Analyzer options: the relevant sections of the loaded config (`framework:`), snake_case as in
 * the YAML, so the loaded config can be passed in as is. Every key is optional; the defaults are
 * the config schema's. Other keys are ignored.
 */
export type AnalyzerOptions = DeepPartial<Pick<PyfleetConfig, "control_system" | "execution" | "analysis">> & {
  approval?: {
    global_mode?: GlobalMode;
    capabilities?: { python_execution?: { enabled?: PythonExecution["enabled"]; mode?: CapabilityMode } };
  };
};

/** Options with defaults applied and values validated. */
export interface ResolvedPolicy {
  globalMode: GlobalMode;
  capabilityEnabled: boolean;
  capabilityMode: "disabled" | "all_code" | "epics_writes";
  writesEnabled: boolean;
  requiresApproval: { read_only: boolean; write_access: boolean };
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], key: string, fallback: T): T {
  if (value === undefined || value === null) return fallback;
  if (typeof value === "string" && (allowed as readonly string[]).includes(value)) return value as T;
  throw new PyfleetError("CONFIG_INVALID", `${key}: ${JSON.stringify(value)} is not one of ${allowed.join(", ")}`);
}

function bool(value: unknown, key: string, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value === "boolean") return value;
  throw new PyfleetError("CONFIG_INVALID", `${key}: expected true or false, got ${JSON.stringify(value)}`);
}

/** Applies the config schema's defaults; unknown values are a configuration error, never a silent default. */
export function resolvePolicy(options: AnalyzerOptions = {}): ResolvedPolicy {
  const defaults = configDefaults();
  const py = options.approval?.capabilities?.python_execution;
  const pyDefault = defaults.approval.capabilities.python_execution;
  const mode = oneOf(py?.mode, CAPABILITY_MODES, "approval.capabilities.python_execution.mode", pyDefault.mode);
  const modes = options.execution?.modes;
  const modeDefaults = defaults.execution.modes;
  return {
    globalMode: oneOf(options.approval?.global_mode, GLOBAL_MODES, "approval.global_mode", defaults.approval.global_mode),
    capabilityEnabled: bool(py?.enabled, "approval.capabilities.python_execution.enabled", pyDefault.enabled),
    capabilityMode: mode === "control_writes" ? "epics_writes" : mode,
    writesEnabled: bool(options.control_system?.writes_enabled, "control_system.writes_enabled", defaults.control_system.writes_enabled),
    requiresApproval: {
      read_only: bool(modes?.read_only?.requires_approval, "execution.modes.read_only.requires_approval", modeDefaults.read_only.requires_approval),
      write_access: bool(
        modes?.write_access?.requires_approval,
        "execution.modes.write_access.requires_approval",
        modeDefaults.write_access.requires_approval,
      ),
    },
  };
}
