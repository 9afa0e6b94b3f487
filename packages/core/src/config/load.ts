import { policyWarnings } from "./policy-warnings.js";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { PyfleetError } from "../errors.js";
import { envDefaultSource } from "./env-defaults.js";
import { type ConfigIssue, configIssues, formatPath } from "./issues.js";
import { configSchema, type PyfleetConfig } from "./schema.js";
import { type Env, isPlainObject, type SubstitutionProblem, substituteTree } from "./substitute.js";
import { findUnknownKeys, levenshtein } from "./unknown-keys.js";
import { parseYamlSource, type YamlSource } from "./yaml-source.js";

export interface LoadConfigOptions {
  /** Config file; defaults to `env.PYFLEET_CONFIG`, then `./config.yml` (relative to `cwd`). */
  file?: string;
  /** Variables for `${VAR}` substitution and secrets; defaults to `process.env`. */
  env?: Env;
  /** Folder relative paths are resolved against; defaults to `process.cwd()`. */
  cwd?: string;
  /** Receives each warning (unknown keys, renamed keys); defaults to `process.emitWarning`. */
  onWarning?: (warning: ConfigIssue) => void;
}

/** Which file {@link loadConfig} reads for these options (absolute path). */
export function resolveConfigPath(opts: Pick<LoadConfigOptions, "file" | "env" | "cwd"> = {}): string {
  const env = opts.env ?? process.env;
  return resolve(opts.cwd ?? process.cwd(), opts.file ?? (env.PYFLEET_CONFIG || "config.yml"));
}

/**
 * Reads, substitutes and validates a config file.
 * @throws PyfleetError `CONFIG_NOT_FOUND` when the file is missing or unreadable; `CONFIG_INVALID` with every
 *   problem in `issues` (YAML path, bad value, what is allowed).
 */
export function loadConfig(opts: LoadConfigOptions = {}): PyfleetConfig {
  const file = resolveConfigPath(opts);
  if (!existsSync(file)) {
    throw new PyfleetError("CONFIG_NOT_FOUND", `config file not found: ${file} (pass a file or set PYFLEET_CONFIG)`, {
      details: { file },
    });
  }
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new PyfleetError("CONFIG_NOT_FOUND", `cannot read config file ${file}: ${(err as Error).message}`, {
      cause: err,
      details: { file },
    });
  }
  return loadConfigFromString(text, { ...opts, source: file });
}

/** Like {@link loadConfig} on text already in memory; `source` names it in messages. */
export function loadConfigFromString(
  text: string,
  opts: Omit<LoadConfigOptions, "file" | "cwd"> & { source?: string } = {},
): PyfleetConfig {
  const env = opts.env ?? process.env;
  const source = opts.source ?? "config";
  const onWarning = opts.onWarning ?? ((w) => process.emitWarning(`${source}: ${w.path}: ${w.message}`, "PyfleetConfigWarning"));
  const yaml = parseYamlSource(text);
  if (yaml.errors.length > 0) fail(source, yaml.errors);
  const issues: ConfigIssue[] = [];
  const warnings: ConfigIssue[] = [];
  const framework = topLevel(yaml, issues, warnings);

  const problems: SubstitutionProblem[] = [];
  const data = substituteTree(applyAliases(dropNulls(framework), warnings), env, problems, ["framework"]);
  for (const p of problems) issues.push({ path: formatPath(p.path), message: p.message, ...yaml.locate(p.path) });

  const schema = configSchema(env);
  for (const u of findUnknownKeys(data, schema, ["framework"])) {
    const at = { path: formatPath(u.path), ...yaml.locateKey(u.path) };
    if (SECRET_KEY.test(u.key)) {
      const where = u.closest?.endsWith("_env") ? ` and name that variable in "${u.closest}"` : "";
      issues.push({ ...at, message: `secrets are not read from the config file: put the value in an environment variable${where}` });
    } else {
      warnings.push({ ...at, message: unknownKeyMessage(u.key, u.closest) });
    }
  }

  const parsed = schema.safeParse(data, { reportInput: true });
  if (!parsed.success) {
    // A value whose substitution failed is reported once, by the substitution problem.
    const substituted = new Set(problems.map((p) => formatPath(p.path)));
    for (const i of configIssues(parsed.error, ["framework"])) {
      if (substituted.has(i.path)) continue;
      const fromEnv = yaml.has(i.segments) ? undefined : envDefaultSource(i.segments.slice(1).join("."), env);
      const message = fromEnv ? `${i.message} (the default from $${fromEnv})` : i.message;
      issues.push({ path: i.path, message, ...yaml.locate(i.segments) });
    }
  }
  if (parsed.success) {
    for (const w of policyWarnings(parsed.data)) warnings.push({ ...w, ...yaml.locate(["framework", "execution", "modes", "write_access", "requires_approval"]) });
  }
  for (const w of warnings) onWarning(w);
  if (issues.length > 0 || !parsed.success) fail(source, issues);
  return parsed.data;
}

const FRAMEWORK_SECTIONS = new Set(["python_executor", "execution", "approval"]);
const SECRET_KEY = /(^|_)(api_?key|password|passwd|secret|token|signing_keys?)$/i;

/** The `framework:` mapping of the file; other top-level keys are warnings. */
function topLevel(yaml: YamlSource, issues: ConfigIssue[], warnings: ConfigIssue[]): Record<string, unknown> {
  const root = yaml.value;
  if (root === null || root === undefined) return {};
  if (!isPlainObject(root)) {
    issues.push({ path: "(root)", message: 'must be a mapping with the key "framework:"', ...yaml.locate([]) });
    return {};
  }
  for (const key of Object.keys(root)) {
    if (key === "framework") continue;
    const message = FRAMEWORK_SECTIONS.has(key)
      ? 'unknown key (ignored): pyfleet reads this section under "framework:"'
      : unknownKeyMessage(key, "framework");
    warnings.push({ path: key, message, ...yaml.locateKey([key]) });
  }
  const fw = root.framework;
  if (fw === null || fw === undefined) return {};
  if (!isPlainObject(fw)) {
    issues.push({ path: "framework", message: `${JSON.stringify(fw)} is not a mapping`, ...yaml.locate(["framework"]) });
    return {};
  }
  return fw;
}

function unknownKeyMessage(key: string, closest: string | undefined): string {
  if (closest === undefined) return "unknown key (ignored)";
  const near = levenshtein(key, closest) <= Math.max(2, Math.ceil(key.length / 3));
  return near
    ? `unknown key (ignored); did you mean "${closest}"?`
    : `unknown key (ignored); the closest known key here is "${closest}"`;
}

/** An empty YAML value (`key:`) means "use the default", so null entries of mappings are removed. */
function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNulls);
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = dropNulls(v);
  return out;
}

/** Keys of the original system that pyfleet reads at another place. */
function applyAliases(value: unknown, warnings: ConfigIssue[]): unknown {
  const execution = isPlainObject(value) ? value.execution : undefined;
  if (!isPlainObject(execution) || !("python_env_path" in execution)) return value;
  const { python_env_path: envPath, ...rest } = execution;
  const local = isPlainObject(rest.local) ? rest.local : {};
  warnings.push({
    path: "framework.execution.python_env_path",
    message: "read as framework.execution.local.python_env_path (the original system's place for it)",
  });
  const moved = "python_env_path" in local ? local : { ...local, python_env_path: envPath };
  return { ...(value as Record<string, unknown>), execution: { ...rest, local: moved } };
}

function fail(source: string, issues: ConfigIssue[]): never {
  const sorted = [...issues].sort((a, b) => (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER));
  const lines = sorted.map((i) => `  ${i.path}: ${i.message}${i.line ? ` (line ${i.line})` : ""}`);
  const count = `${sorted.length} problem${sorted.length === 1 ? "" : "s"}`;
  throw new PyfleetError("CONFIG_INVALID", `invalid config ${source}: ${count}\n${lines.join("\n")}`, {
    issues: sorted,
    details: { source },
  });
}
