import { PyfleetError } from "@pyfleet/core";

export const GLOBAL_MODES = ["disabled", "selective", "all_capabilities"] as const;
export type GlobalMode = (typeof GLOBAL_MODES)[number];

/** `control_writes` is accepted as the original system's name for `epics_writes`. */
export const CAPABILITY_MODES = ["disabled", "all_code", "epics_writes", "control_writes"] as const;
export type CapabilityMode = (typeof CAPABILITY_MODES)[number];

/**
 * Analyzer options: the relevant sections of config.yml (`framework:`), snake_case as in the
 * YAML, so the loaded config section can be passed in as is. Every key is optional; defaults
 * are those of config.yml. Other keys are ignored.
 */
export interface AnalyzerOptions {
  approval?: {
    global_mode?: GlobalMode;
    capabilities?: {
      python_execution?: { enabled?: boolean; mode?: CapabilityMode };
    };
  };
  control_system?: { writes_enabled?: boolean };
  execution?: {
    modes?: {
      read_only?: { requires_approval?: boolean };
      write_access?: { requires_approval?: boolean };
    };
  };
  analysis?: { rules?: Record<string, string> };
}

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

/** Applies config.yml defaults; unknown values are a configuration error, never a silent default. */
export function resolvePolicy(options: AnalyzerOptions = {}): ResolvedPolicy {
  const py = options.approval?.capabilities?.python_execution;
  const mode = oneOf(py?.mode, CAPABILITY_MODES, "approval.capabilities.python_execution.mode", "epics_writes");
  const modes = options.execution?.modes;
  return {
    globalMode: oneOf(options.approval?.global_mode, GLOBAL_MODES, "approval.global_mode", "selective"),
    capabilityEnabled: bool(py?.enabled, "approval.capabilities.python_execution.enabled", true),
    capabilityMode: mode === "control_writes" ? "epics_writes" : mode,
    writesEnabled: bool(options.control_system?.writes_enabled, "control_system.writes_enabled", true),
    requiresApproval: {
      read_only: bool(modes?.read_only?.requires_approval, "execution.modes.read_only.requires_approval", false),
      write_access: bool(modes?.write_access?.requires_approval, "execution.modes.write_access.requires_approval", true),
    },
  };
}
