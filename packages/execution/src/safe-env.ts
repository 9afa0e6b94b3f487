/** Names that look like credentials; they never reach user code, even when allow-listed. */
const SECRET_NAME = /(KEY|TOKEN|SECRET|PASSW|CREDENTIAL|AUTH)/i;

/** True for environment variable names that must never reach user code. */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/**
 * The environment user code gets: only allow-listed variables from `source`, minus anything
 * that looks like a secret, plus the fixed settings the harness needs (`extra` wins).
 */
export function buildChildEnv(
  allowlist: readonly string[],
  source: NodeJS.ProcessEnv,
  extra: Record<string, string> = {},
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of allowlist) {
    const value = source[name];
    if (value !== undefined && !isSecretName(name)) env[name] = value;
  }
  return { ...env, ...extra };
}
