import type { Redis } from "ioredis";

/** A Lua script the fleet runs as an ioredis custom command (`EVALSHA`, loaded once per connection). */
export interface ScriptDefinition {
  numberOfKeys: number;
  lua: string;
}

/**
 * Defines the store's scripts as ioredis custom commands on `redis` (idempotent: several stores
 * share one connection). ioredis sends `EVALSHA` and falls back to `EVAL` once per connection, and
 * the commands are available in `multi()` too, so a script can join a transaction.
 */
export function defineScripts(redis: Redis, scripts: Record<string, ScriptDefinition>): void {
  const has = redis as unknown as Record<string, unknown>;
  for (const [name, def] of Object.entries(scripts)) {
    if (typeof has[name] !== "function") redis.defineCommand(name, def);
  }
}
