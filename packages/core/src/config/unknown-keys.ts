import { z } from "zod";
import { isPlainObject } from "./substitute.js";

/** A key the schema does not know, with the nearest known key at the same level. */
export interface UnknownKey {
  path: (string | number)[];
  key: string;
  closest: string | undefined;
}

/** Edit distance between two strings (insert, delete, substitute: cost 1 each). */
export function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
    }
    prev = cur;
  }
  return prev[b.length] as number;
}

/** The candidate nearest to `key` (ties: the first in `candidates` order). */
export function closestKey(key: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const dist = levenshtein(key, c);
    if (dist < bestDistance) {
      best = c;
      bestDistance = dist;
    }
  }
  return best;
}

/** Strips defaults, optionality, preprocessing and transforms down to the schema of the value's shape. */
function unwrap(schema: z.ZodType): z.ZodType {
  let s: z.ZodType = schema;
  for (;;) {
    if (s instanceof z.ZodDefault || s instanceof z.ZodPrefault || s instanceof z.ZodOptional || s instanceof z.ZodNullable) {
      s = s.unwrap() as z.ZodType;
    } else if (s instanceof z.ZodPipe) {
      s = (s.in instanceof z.ZodTransform ? s.out : s.in) as z.ZodType;
    } else {
      return s;
    }
  }
}

/**
 * Walks `value` alongside `schema` and lists every mapping key the schema does not declare.
 * Records (free-form keys, e.g. `analysis.rules`) accept any key.
 */
export function findUnknownKeys(value: unknown, schema: z.ZodType, path: (string | number)[] = []): UnknownKey[] {
  const s = unwrap(schema);
  const found: UnknownKey[] = [];
  if (s instanceof z.ZodObject && isPlainObject(value)) {
    const shape = s.shape as Record<string, z.ZodType>;
    const known = Object.keys(shape);
    for (const [key, v] of Object.entries(value)) {
      const child = shape[key];
      if (child) found.push(...findUnknownKeys(v, child, [...path, key]));
      else found.push({ path: [...path, key], key, closest: closestKey(key, known) });
    }
  } else if (s instanceof z.ZodArray && Array.isArray(value)) {
    value.forEach((v, i) => {
      found.push(...findUnknownKeys(v, s.element as z.ZodType, [...path, i]));
    });
  } else if (s instanceof z.ZodRecord && isPlainObject(value)) {
    for (const [key, v] of Object.entries(value)) found.push(...findUnknownKeys(v, s.valueType as z.ZodType, [...path, key]));
  }
  return found;
}
