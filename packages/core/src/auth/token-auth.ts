import { createHash, timingSafeEqual } from "node:crypto";
import { PyfleetError } from "../errors.js";

/**
 * Roles a bearer token can hold. `viewer` reads runs and approvals (every role may view),
 * `submitter` enqueues and cancels runs (the producer's tokens), `approver` decides,
 * `admin` reconciles and may do everything a submitter may.
 */
export const ROLES = ["viewer", "submitter", "approver", "admin"] as const;
export type Role = (typeof ROLES)[number];

/** A configured token: only its sha256 is stored (`producer.tokens`, `approver.tokens`). */
export interface TokenEntry {
  sha256: string;
  identity: string;
  roles: readonly Role[];
}

/** Who a request comes from. */
export interface Identity {
  id: string;
  roles: readonly Role[];
}

/** sha256 hex of a token, as stored in config. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** Whether an identity holds a role. Any role may view; `admin` also holds `submitter`. */
export function hasRole(who: Identity, role: Role): boolean {
  if (role === "viewer") return who.roles.length > 0;
  if (role === "submitter") return who.roles.includes("submitter") || who.roles.includes("admin");
  return who.roles.includes(role);
}

/**
 * Whether an identity sees every run, not only the runs it submitted. A plain `submitter` (a
 * producer token: one backend or one user) sees its own runs only, so one tenant cannot read
 * another's code, results or figures. `viewer` and `admin` exist to see everything, and an
 * `approver` reviews other identities' runs by definition, so those three see all runs.
 */
export function seesAllRuns(who: Identity): boolean {
  return who.roles.some((r) => r === "viewer" || r === "approver" || r === "admin");
}

/**
 * Whether an identity may cancel any run. Only `admin`: cancelling is a change, and seeing a run
 * (viewer, approver) is not owning it. Every submitter may cancel the runs it submitted.
 */
export function cancelsAllRuns(who: Identity): boolean {
  return who.roles.includes("admin");
}

export interface TokenAuthOptions {
  /**
   * Who a request without a known token is when no token is configured at all (the producer's
   * dev mode: everyone is `anonymous`). Unset: no tokens means nobody gets in.
   */
  openAs?: Identity;
}

/**
 * Resolves bearer tokens to identities, the one implementation the producer, the approver and
 * the console share. Tokens are stored only as sha256; every configured digest is compared in
 * constant time, all of them, so timing does not reveal which entry matched.
 *
 * Order never matters: a token listed more than once for the same identity (say in both
 * `producer.tokens` and `approver.tokens`) holds the union of its roles, and a token listed for
 * two different identities is refused at construction, so there is no first-match or last-match
 * rule to get wrong.
 * @throws PyfleetError `CONFIG_INVALID` when one token is configured for two identities.
 */
export class TokenAuth {
  private readonly entries: Array<{ digest: Buffer; identity: string; roles: Role[] }> = [];

  constructor(
    entries: readonly TokenEntry[],
    private readonly opts: TokenAuthOptions = {},
  ) {
    const byDigest = new Map<string, { digest: Buffer; identity: string; roles: Role[] }>();
    for (const e of entries) {
      const hex = e.sha256.toLowerCase();
      const seen = byDigest.get(hex);
      if (!seen) {
        const entry = { digest: Buffer.from(hex, "hex"), identity: e.identity, roles: [...new Set(e.roles)] };
        byDigest.set(hex, entry);
        this.entries.push(entry);
      } else if (seen.identity !== e.identity) {
        throw new PyfleetError(
          "CONFIG_INVALID",
          `one token is configured for two identities (${seen.identity} and ${e.identity}): give each identity its own token`,
          { issues: [{ path: "tokens", message: `the same sha256 is listed for ${seen.identity} and ${e.identity}` }] },
        );
      } else {
        for (const r of e.roles) if (!seen.roles.includes(r)) seen.roles.push(r);
      }
    }
  }

  /** True when tokens are configured (requests must then present one). */
  get enabled(): boolean {
    return this.entries.length > 0;
  }

  /**
   * The identity for an `Authorization` header value, or null for a missing or unknown token
   * (with no tokens configured and `openAs` set: that identity).
   */
  authenticate(header: string | undefined): Identity | null {
    if (!this.enabled) return this.opts.openAs ?? null;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
    if (!m) return null;
    const presented = Buffer.from(hashToken(m[1] as string), "hex");
    let found: { identity: string; roles: Role[] } | null = null;
    for (const e of this.entries) {
      // Digests are unique (see the constructor), so at most one entry can match.
      if (e.digest.length === presented.length && timingSafeEqual(e.digest, presented)) found = e;
    }
    return found ? { id: found.identity, roles: [...found.roles] } : null;
  }
}
