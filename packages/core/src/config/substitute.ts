/**
 * `${VAR}` and `${VAR:-default}` substitution in config strings (shell semantics: the default
 * applies when VAR is unset or empty; `$${` writes a literal `${`). Substitution works on the
 * parsed YAML strings, so a value can never inject YAML structure.
 */

export type Env = Readonly<Record<string, string | undefined>>;

/** A problem found while substituting, with the YAML path of the string. */
export interface SubstitutionProblem {
  path: (string | number)[];
  message: string;
}

const PATTERN = /\$\$\{|\$\{([^}]*)\}|\$\{/g;
const REFERENCE = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;

/** Substitutes one string; `problems` holds a sentence per unset variable or malformed reference. */
export function substituteString(text: string, env: Env): { value: string; problems: string[] } {
  const problems: string[] = [];
  const value = text.replace(PATTERN, (match: string, body: string | undefined) => {
    if (match === "$${") return "${";
    if (body === undefined) {
      problems.push(`"${text}" has an unclosed "\${"`);
      return match;
    }
    const ref = REFERENCE.exec(body);
    if (!ref) {
      problems.push(`"\${${body}}" is not a reference; write \${NAME} or \${NAME:-default}`);
      return match;
    }
    const [, name, fallback] = ref;
    const current = env[name as string];
    if (fallback !== undefined) return current === undefined || current === "" ? fallback : current;
    if (current === undefined) {
      problems.push(`environment variable ${name} is not set (write \${${name}:-default} to give a default)`);
      return "";
    }
    return current;
  });
  return { value, problems };
}

/** Returns a copy of `value` with every string substituted; problems carry their paths. */
export function substituteTree(value: unknown, env: Env, problems: SubstitutionProblem[], path: (string | number)[] = []): unknown {
  if (typeof value === "string") {
    if (!value.includes("${")) return value;
    const r = substituteString(value, env);
    for (const message of r.problems) problems.push({ path, message });
    return r.value;
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteTree(v, env, problems, [...path, i]));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = substituteTree(v, env, problems, [...path, k]);
    return out;
  }
  return value;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
