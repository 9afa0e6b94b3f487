import { configSchema, type PyfleetConfig } from "./schema.js";
import { isPlainObject } from "./substitute.js";

let parsed: PyfleetConfig | undefined;

/**
 * The config with every key at its default: what an empty config.yml loads to without any
 * environment variable set. Packages take their defaults from here, so each default is written
 * once, in the schema. A fresh copy per call, so a caller may change its copy.
 */
export function configDefaults(): PyfleetConfig {
  parsed ??= configSchema({}).parse({});
  return structuredClone(parsed);
}

/** A config slice in which every key may be left out (arrays are replaced whole, never merged). */
export type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K];
};

/**
 * `overrides` laid over `defaults`: mappings merged key by key, anything else (arrays included)
 * replaced; `undefined` keeps the default. Neither argument is changed.
 */
export function withDefaults<T>(defaults: T, overrides: DeepPartial<T> | undefined): T {
  return merge(defaults, overrides) as T;
}

function merge(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = merge(base[k], v);
  return out;
}

