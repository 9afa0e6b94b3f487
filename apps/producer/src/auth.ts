import { createHash, timingSafeEqual } from "node:crypto";

/** A producer token as configured: sha256 hex of the bearer token and who it is. */
export interface ProducerToken {
  sha256: string;
  identity: string;
}

/**
 * Maps bearer tokens to identities. Tokens are stored only as sha256 hex; every configured
 * digest is compared in constant time. With no tokens configured every caller is `anonymous`.
 */
export class ProducerAuth {
  private readonly digests: Array<{ digest: Buffer; identity: string }>;

  constructor(tokens: readonly ProducerToken[]) {
    this.digests = tokens.map((t) => ({ digest: Buffer.from(t.sha256.toLowerCase(), "hex"), identity: t.identity }));
  }

  get enabled(): boolean {
    return this.digests.length > 0;
  }

  /** Identity for an Authorization header, or null when auth is on and the token is unknown. */
  authenticate(header: string | undefined): string | null {
    if (!this.enabled) return "anonymous";
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
    if (!m) return null;
    const digest = createHash("sha256").update(m[1]!, "utf8").digest();
    let found: string | null = null;
    for (const t of this.digests) {
      if (t.digest.length === digest.length && timingSafeEqual(t.digest, digest)) found = t.identity;
    }
    return found;
  }
}
