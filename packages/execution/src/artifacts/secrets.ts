/**
 * Removes secrets from a config snapshot before it is stored beside a run (context.json).
 * Keys that name a secret are dropped; keys ending in `_env` (an environment variable's name) or
 * `_id` (a key id) are kept; credentials inside URLs (`redis://user:pass@host`) are cut out.
 */

const SECRET_KEY = /(api[_-]?key|token|secret|password|passwd|credential|private[_-]?key|authorization|signing[_-]?keys?)/i;
const NAMES_NOT_A_SECRET = /_(env|id)$/i;
const URL_CREDENTIALS = /^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i;

/** True for a key whose value must not be stored. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) && !NAMES_NOT_A_SECRET.test(key);
}

/** A deep copy of `value` without secret keys and without URL credentials. */
export function scrubSecrets(value: unknown): unknown {
  if (typeof value === "string") return value.replace(URL_CREDENTIALS, "$1");
  if (Array.isArray(value)) return value.map(scrubSecrets);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (!isSecretKey(k)) out[k] = scrubSecrets(v);
    }
    return out;
  }
  return value;
}
