import { hasRole, type Identity, PyfleetError, type Role, type TokenAuth } from "@pyfleet/core";
import type { FastifyRequest } from "fastify";

/** Codes a missing role is refused with: the producer's `FORBIDDEN`, the approver's `APPROVAL_FORBIDDEN`. */
export type ForbiddenCode = "FORBIDDEN" | "APPROVAL_FORBIDDEN";

/**
 * The bearer-token check every service makes with core's shared {@link TokenAuth}: who the
 * request comes from (401 `UNAUTHORIZED` when the token is missing or unknown) and whether they
 * hold a role (403).
 */
export class BearerGuard {
  constructor(
    private readonly auth: TokenAuth,
    private readonly forbidden: ForbiddenCode = "FORBIDDEN",
  ) {}

  /** The caller's identity. @throws PyfleetError `UNAUTHORIZED`. */
  identify(req: FastifyRequest): Identity {
    const who = this.auth.authenticate(req.headers.authorization);
    if (!who) throw new PyfleetError("UNAUTHORIZED", "missing or unknown bearer token: send Authorization: Bearer <token>");
    return who;
  }

  /** The caller's identity if it holds `role`. @throws PyfleetError `UNAUTHORIZED` or the forbidden code. */
  require(req: FastifyRequest, role: Role): Identity {
    const who = this.identify(req);
    assertRole(who, role, this.forbidden);
    return who;
  }
}

/** @throws PyfleetError `code` (403) when `who` lacks `role`. */
export function assertRole(who: Identity, role: Role, code: ForbiddenCode = "FORBIDDEN"): void {
  if (!hasRole(who, role)) throw new PyfleetError(code, `${who.id} lacks the ${role} role`);
}
