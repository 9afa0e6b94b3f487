import { describe, expect, it } from "vitest";
import { PyfleetError, toPyfleetError } from "./errors.js";

describe("PyfleetError", () => {
  it("derives category and retryable from the code", () => {
    const infra = new PyfleetError("KERNEL_DIED", "kernel died");
    expect(infra.category).toBe("infrastructure");
    expect(infra.retryable).toBe(true);
    const pol = new PyfleetError("WRITE_IN_READ_ONLY", "caput in read-only");
    expect(pol.category).toBe("policy");
    expect(pol.retryable).toBe(false);
  });

  it("survives a JSON round trip with code, category, details and cause", () => {
    const cause = new PyfleetError("REDIS_UNAVAILABLE", "connection refused");
    const err = new PyfleetError("STAGE_RETRIES_EXHAUSTED", "gave up", {
      cause,
      details: { attempts: 3 },
      issues: [{ path: "a.b", message: "bad" }],
    });
    const wire = JSON.parse(JSON.stringify(err));
    expect(PyfleetError.isJSON(wire)).toBe(true);
    const back = PyfleetError.fromJSON(wire);
    expect(back).toBeInstanceOf(PyfleetError);
    expect(back.code).toBe("STAGE_RETRIES_EXHAUSTED");
    expect(back.category).toBe("infrastructure");
    expect(back.details).toEqual({ attempts: 3 });
    expect(back.issues).toEqual([{ path: "a.b", message: "bad" }]);
    expect((back.cause as PyfleetError).code).toBe("REDIS_UNAVAILABLE");
  });

  it("wraps foreign errors as retryable INTERNAL", () => {
    const e = toPyfleetError(new TypeError("boom"));
    expect(e.code).toBe("INTERNAL");
    expect(e.retryable).toBe(true);
    expect(e.message).toBe("boom");
    expect(PyfleetError.isJSON({ name: "PyfleetError", code: "NOPE" })).toBe(false);
  });
});
