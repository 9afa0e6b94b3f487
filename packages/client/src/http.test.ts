import { isPyfleetError } from "@pyfleet/core";
import { describe, expect, it } from "vitest";
import { PyfleetClient } from "./client.js";
import { resolveTarget } from "./http.js";

describe("client target (url / baseUrl, PYFLEET_URL / PYFLEET_TOKEN)", () => {
  it("accepts `url` (as getRegistry does) as well as `baseUrl`", () => {
    expect(new PyfleetClient({ url: "http://fleet:8080/" }, {}).baseUrl).toBe("http://fleet:8080");
    expect(new PyfleetClient({ baseUrl: "http://fleet:8080" }, {}).baseUrl).toBe("http://fleet:8080");
    expect(resolveTarget({ url: "http://a:1", baseUrl: "http://a:1" }, {})).toEqual({ baseUrl: "http://a:1" });
  });

  it("reads PYFLEET_URL and PYFLEET_TOKEN (the names pyfleet dev prints) when no option is given", () => {
    expect(resolveTarget({}, { PYFLEET_URL: "http://env:9", PYFLEET_TOKEN: "t0k", PYFLEET_PRODUCER_TOKEN: "old" })).toEqual({ baseUrl: "http://env:9", token: "t0k" });
    expect(resolveTarget({ token: "flag" }, { PYFLEET_TOKEN: "env" }).token).toBe("flag");
    expect(resolveTarget({}, {})).toEqual({ baseUrl: "http://127.0.0.1:8080" });
  });

  it("refuses two different URLs and a URL that is not http(s), naming the option", () => {
    for (const [opts, path] of [
      [{ url: "http://a:1", baseUrl: "http://b:2" }, "url"],
      [{ url: "fleet:8080" }, "url"],
      [{ baseUrl: "" }, "baseUrl"],
    ] as const) {
      let err: unknown;
      try {
        resolveTarget(opts, {});
      } catch (e) {
        err = e;
      }
      expect(isPyfleetError(err) && err.code).toBe("VALIDATION_FAILED");
      expect((err as { issues: Array<{ path: string }> }).issues[0]?.path).toBe(path);
    }
  });

  it("sends the token from the environment", async () => {
    let auth: string | null = null;
    const fetchStub = (async (_url: string, init: RequestInit) => {
      auth = new Headers(init.headers).get("authorization");
      return new Response(JSON.stringify({ runs: [], nextCursor: null }), { status: 200 });
    }) as unknown as typeof fetch;
    await new PyfleetClient({ fetch: fetchStub }, { PYFLEET_TOKEN: "from-env" }).list();
    expect(auth).toBe("Bearer from-env");
  });
});
