import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ProducerAuth } from "./auth.js";

const sha = (t: string) => createHash("sha256").update(t).digest("hex");

describe("ProducerAuth", () => {
  it("lets everyone in as anonymous when no token is configured", () => {
    expect(new ProducerAuth([]).authenticate(undefined)).toBe("anonymous");
  });

  it("maps a known bearer token to its identity and refuses others", () => {
    const auth = new ProducerAuth([
      { sha256: sha("tok-a"), identity: "backend-a" },
      { sha256: sha("tok-b").toUpperCase(), identity: "backend-b" },
    ]);
    expect(auth.authenticate("Bearer tok-a")).toBe("backend-a");
    expect(auth.authenticate("bearer tok-b")).toBe("backend-b");
    expect(auth.authenticate("Bearer tok-c")).toBeNull();
    expect(auth.authenticate("tok-a")).toBeNull();
    expect(auth.authenticate(undefined)).toBeNull();
  });
});
