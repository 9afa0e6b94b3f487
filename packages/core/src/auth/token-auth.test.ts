import { describe, expect, it } from "vitest";
import { isPyfleetError } from "../errors.js";
import { cancelsAllRuns, hashToken, hasRole, seesAllRuns, TokenAuth } from "./token-auth.js";

describe("TokenAuth (shared by producer, approver and console)", () => {
  it("maps a known bearer token to its identity and roles, case-insensitive on the scheme and the stored hex", () => {
    const auth = new TokenAuth([
      { sha256: hashToken("tok-a"), identity: "alice", roles: ["approver"] },
      { sha256: hashToken("tok-b").toUpperCase(), identity: "backend", roles: ["submitter"] },
    ]);
    expect(auth.authenticate("Bearer tok-a")).toEqual({ id: "alice", roles: ["approver"] });
    expect(auth.authenticate("bearer tok-b")).toEqual({ id: "backend", roles: ["submitter"] });
    expect(auth.authenticate("Bearer tok-c")).toBeNull();
    expect(auth.authenticate("tok-a")).toBeNull();
    expect(auth.authenticate(undefined)).toBeNull();
  });

  it("with no tokens lets everyone in as openAs, or nobody when openAs is unset", () => {
    const anon = { id: "anonymous", roles: ["viewer", "submitter"] as const };
    expect(new TokenAuth([], { openAs: anon }).authenticate(undefined)).toEqual(anon);
    expect(new TokenAuth([]).authenticate("Bearer x")).toBeNull();
  });

  // The producer's old copy kept the LAST matching entry, the approver's the FIRST: with one
  // token in both lists the two services disagreed on who the caller was. Now order is irrelevant.
  it("gives a token listed twice for one identity the union of its roles, in either order", () => {
    const a = { sha256: hashToken("t"), identity: "ops", roles: ["submitter"] as const };
    const b = { sha256: hashToken("t"), identity: "ops", roles: ["approver", "viewer"] as const };
    expect(new TokenAuth([a, b]).authenticate("Bearer t")?.roles.slice().sort()).toEqual(["approver", "submitter", "viewer"]);
    expect(new TokenAuth([b, a]).authenticate("Bearer t")?.roles.slice().sort()).toEqual(["approver", "submitter", "viewer"]);
  });

  it("refuses one token configured for two identities (neither first- nor last-match wins silently)", () => {
    const entries = [
      { sha256: hashToken("shared"), identity: "alice", roles: ["approver"] as const },
      { sha256: hashToken("shared"), identity: "mallory", roles: ["admin"] as const },
    ];
    let err: unknown;
    try {
      new TokenAuth(entries);
    } catch (e) {
      err = e;
    }
    expect(isPyfleetError(err) && err.code).toBe("CONFIG_INVALID");
    expect(String((err as Error).message)).toContain("alice and mallory");
  });

  it("roles: anyone with a role views, admin also submits, approver does not submit", () => {
    expect(hasRole({ id: "v", roles: ["viewer"] }, "viewer")).toBe(true);
    expect(hasRole({ id: "v", roles: ["viewer"] }, "approver")).toBe(false);
    expect(hasRole({ id: "n", roles: [] }, "viewer")).toBe(false);
    expect(hasRole({ id: "a", roles: ["admin"] }, "submitter")).toBe(true);
    expect(hasRole({ id: "p", roles: ["approver"] }, "submitter")).toBe(false);
    expect(hasRole({ id: "s", roles: ["submitter"] }, "viewer")).toBe(true);
  });

  it("run visibility: a plain submitter sees and cancels its own runs only; viewer, approver, admin see all; only admin cancels all", () => {
    const submitter = { id: "s", roles: ["submitter"] as const };
    expect(seesAllRuns(submitter)).toBe(false);
    expect(cancelsAllRuns(submitter)).toBe(false);
    for (const role of ["viewer", "approver", "admin"] as const) expect(seesAllRuns({ id: "x", roles: [role] }), role).toBe(true);
    expect(seesAllRuns({ id: "sv", roles: ["submitter", "viewer"] })).toBe(true);
    expect(cancelsAllRuns({ id: "v", roles: ["viewer", "approver"] })).toBe(false);
    expect(cancelsAllRuns({ id: "a", roles: ["admin"] })).toBe(true);
  });
});
