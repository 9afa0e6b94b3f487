import { createHash, timingSafeEqual } from "node:crypto";
import type { ApproverIdentity } from "@pyfleet/fleet";

export type Role = "viewer" | "approver" | "admin";

/** A configured token: only its sha256 is stored (`approver.tokens`). */
export interface TokenEntry {
  sha256: string;
  identity: string;
  roles: Role[];
}

/** sha256 hex of a token, as stored in config. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/**
 * Resolves bearer tokens to identities. Every configured hash is compared in constant time
 * (and all of them are compared, so timing does not reveal which entry matched).
 */
export class TokenAuthenticator {
  private readonly entries: Array<TokenEntry & { digest: Buffer }>;

  constructor(entries: TokenEntry[]) {
    this.entries = entries.map((e) => ({ ...e, digest: Buffer.from(e.sha256.toLowerCase(), "hex") }));
  }

  /** The identity for an `Authorization` header value, or null. */
  authenticate(header: string | undefined): ApproverIdentity | null {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
    if (!m) return null;
    const presented = Buffer.from(hashToken(m[1] as string), "hex");
    let found: (TokenEntry & { digest: Buffer }) | null = null;
    for (const e of this.entries) {
      if (e.digest.length === presented.length && timingSafeEqual(e.digest, presented) && !found) found = e;
    }
    return found ? { id: found.identity, roles: found.roles } : null;
  }
}

/** Whether an identity holds a role. Any role may view; `approver` and `admin` are separate. */
export function hasRole(who: ApproverIdentity, role: Role): boolean {
  return role === "viewer" ? who.roles.length > 0 : who.roles.includes(role);
}
