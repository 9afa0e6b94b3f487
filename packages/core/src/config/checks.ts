import { z } from "zod";

/** Checks for string values that need more than a type; messages say what is allowed. */

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The name of an environment variable (where a secret is read from). */
export const envVarName = z
  .string()
  .refine((s) => ENV_NAME.test(s), "is not an environment variable name (letters, digits and _, not starting with a digit)");

/** {@link envVarName} with a default. */
export function envName(def: string) {
  return envVarName.prefault(def);
}

function isUrl(s: string, protocols: readonly string[]): boolean {
  try {
    return protocols.includes(new URL(s).protocol);
  } catch {
    return false;
  }
}

/** A URL with one of `protocols` (e.g. `["redis:", "rediss:"]`); `orEmpty` also allows "". */
export function urlOf(protocols: readonly string[], orEmpty = false) {
  const names = protocols.map((p) => `${p}//…`).join(" or ");
  return z
    .string()
    .refine((s) => (orEmpty && s === "") || isUrl(s, protocols), `is not a ${names} URL${orEmpty ? " (or empty)" : ""}`);
}

/** {@link urlOf} with a default. */
export function url(def: string, protocols: readonly string[], orEmpty = false) {
  return urlOf(protocols, orEmpty).prefault(def);
}

/** A string matching `re`, with a sentence saying what is allowed. */
export function matching(def: string, re: RegExp, allowed: string) {
  return z
    .string()
    .refine((s) => re.test(s), allowed)
    .prefault(def);
}

/** A lowercase hex sha256 (token hashes). */
export const sha256Hex = z
  .string()
  .refine((s) => /^[0-9a-f]{64}$/.test(s), "is not a sha256 hash (64 lowercase hex characters) of the token");

/** An identity name (approver, producer). */
export const identity = z
  .string()
  .refine((s) => /^[A-Za-z0-9_.@-]{1,64}$/.test(s), "is not an identity (1-64 of letters, digits, _ . @ -)");
