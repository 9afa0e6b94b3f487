import { closestKey, PyfleetError } from "@pyfleet/core";

/** Level of a security rule; `allow` drops its findings. */
export type RuleLevel = "block" | "warn" | "allow";
export const RULE_LEVELS: readonly RuleLevel[] = ["block", "warn", "allow"];

/** The security rules whose level `analysis.rules` may override, with their defaults. */
export const SECURITY_RULES = {
  "dynamic-code": { level: "block", summary: "eval, exec, compile or __import__ run code the analyzer cannot see" },
  "process-spawn": { level: "block", summary: "os.system, os.popen, os.exec*, os.spawn*, subprocess, pty, shell=True" },
  "native-code": { level: "block", summary: "ctypes or cffi load native code that bypasses every Python-level guard" },
  network: { level: "warn", summary: "socket, urllib, http.client, requests or httpx open network connections" },
  "file-write-outside": {
    level: "block",
    summary: "writes or deletes files by absolute or parent path (outside the working folder)",
  },
  "env-secrets": { level: "block", summary: "reads secrets (or the whole environment) from os.environ / os.getenv" },
  "unbounded-loop": { level: "warn", summary: "`while True` without a break or return never ends on its own" },
  "undefined-name": {
    level: "block",
    summary: "a name is used but never imported, defined or assigned (the code would fail with NameError)",
  },
} as const satisfies Record<string, { level: RuleLevel; summary: string }>;

export type SecurityRuleId = keyof typeof SECURITY_RULES;

/**
 * Rules with a fixed level (not overridable): they carry the analysis verdict itself.
 * `syntax` and `writes-disabled` block; the rest inform or warn.
 */
export const FIXED_RULES = {
  syntax: "block",
  "writes-disabled": "block",
  "control-write": "info",
  "control-read": "info",
  "dynamic-control-access": "warn",
  "control-serve": "warn",
  "results-missing": "warn",
  "result-key-missing": "warn",
} as const;

type FixedRuleId = keyof typeof FIXED_RULES;

/** Effective levels of the security rules after applying `analysis.rules` overrides. */
export type RuleLevels = Record<SecurityRuleId, RuleLevel>;

/**
 * Applies overrides. Unknown rule ids or levels are a configuration error (a typo must not
 * silently keep, or drop, a safety rule).
 */
export function resolveRuleLevels(overrides: Record<string, unknown> | undefined): RuleLevels {
  const levels = Object.fromEntries(Object.entries(SECURITY_RULES).map(([id, r]) => [id, r.level])) as RuleLevels;
  for (const [id, level] of Object.entries(overrides ?? {})) {
    if (!(id in SECURITY_RULES)) {
      const known = Object.keys(SECURITY_RULES);
      throw new PyfleetError(
        "CONFIG_INVALID",
        `analysis.rules: unknown rule "${id}" (did you mean "${closestKey(id, known)}"? rules: ${known.join(", ")})`,
        { details: { known } },
      );
    }
    if (!RULE_LEVELS.includes(level as RuleLevel))
      throw new PyfleetError("CONFIG_INVALID", `analysis.rules.${id}: level must be block, warn or allow`);
    levels[id as SecurityRuleId] = level as RuleLevel;
  }
  return levels;
}
