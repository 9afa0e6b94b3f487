import { z } from "zod";

/**
 * Schema building blocks for config values. Substituted values (`${VAR}`) arrive as strings,
 * so number and boolean fields accept their string spellings too.
 */

const NUMBER_TEXT = /^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/;
const TRUE_TEXT = new Set(["true", "yes", "on", "1"]);
const FALSE_TEXT = new Set(["false", "no", "off", "0"]);

/** `"8080"` → 8080; anything else is passed on unchanged for the schema to judge. */
export function toNumber(v: unknown): unknown {
  return typeof v === "string" && NUMBER_TEXT.test(v) ? Number(v) : v;
}

/** `"true"`/`"yes"`/`"on"`/`"1"` → true, `"false"`/`"no"`/`"off"`/`"0"` → false (case-insensitive). */
export function toBoolean(v: unknown): unknown {
  if (typeof v !== "string") return v;
  const t = v.trim().toLowerCase();
  if (TRUE_TEXT.has(t)) return true;
  if (FALSE_TEXT.has(t)) return false;
  return v;
}

/**
 * An integer in `[min, max]` with a default. A string default (an env-substituted template)
 * is parsed like a value from the file.
 */
export function int(def: number | string, min: number, max: number = Number.MAX_SAFE_INTEGER) {
  return z.preprocess(toNumber, z.number().int().min(min).max(max)).prefault(def);
}

/** A finite number in `[min, max]` with a default. */
export function num(def: number, min: number, max: number) {
  return z.preprocess(toNumber, z.number().min(min).max(max)).default(def);
}

/** A boolean with a default. */
export function bool(def: boolean) {
  return z.preprocess(toBoolean, z.boolean()).default(def);
}

/** A string with a default (may be empty unless `nonEmpty`). */
export function str(def: string, nonEmpty = true) {
  return (nonEmpty ? z.string().min(1) : z.string()).default(def);
}

/** One of `values`, with a default. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T, def: T[number]) {
  return z.enum(values).default(def as z.output<z.ZodEnum<{ [K in T[number]]: K }>>);
}

/** A TCP port. */
export function port(def: number | string) {
  return int(def, 1, 65535);
}

/**
 * A mapping whose missing keys take their defaults; absent as a whole, it is parsed
 * from `{}` so nested defaults apply too.
 */
export function section<S extends z.ZodRawShape>(shape: S) {
  return z.object(shape).prefault({} as never);
}
