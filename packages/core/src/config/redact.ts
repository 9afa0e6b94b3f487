import type { PyfleetConfig } from "./schema.js";

/** Replaces the password (and a user-only credential) of a URL with `***`; other strings pass unchanged. */
export function maskUrl(text: string): string {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return text;
  }
  if (!u.password && !u.username) return text;
  if (u.password) u.password = "***";
  else u.username = "***";
  return u.toString();
}

/**
 * A deep copy of `config` safe to log, snapshot or store with artifacts: credentials inside URLs
 * (the Redis URL often carries a password from `$REDIS_URL`) and token hashes are masked. Secrets
 * themselves are never in a config (only the names of their environment variables).
 */
export function redactedConfig(config: PyfleetConfig): PyfleetConfig {
  const copy = structuredClone(config);
  copy.redis.url = maskUrl(copy.redis.url);
  copy.models.python_code_generator.base_url = maskUrl(copy.models.python_code_generator.base_url);
  copy.artifacts.notebook_base_url = maskUrl(copy.artifacts.notebook_base_url);
  copy.approver.webhooks = copy.approver.webhooks.map((h) => ({ ...h, url: maskUrl(h.url) }));
  // Token hashes would allow offline guessing of weak tokens; identities and roles stay visible.
  copy.approver.tokens = copy.approver.tokens.map((t) => ({ ...t, sha256: "***" }));
  copy.producer.tokens = copy.producer.tokens.map((t) => ({ ...t, sha256: "***" }));
  return copy;
}
