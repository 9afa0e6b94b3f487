import { silentLogger } from "@pyfleet/core";
import { describe, expect, it } from "vitest";
import { backoff, type RetryPolicy, withRetries } from "./with-retries.js";

const policy: RetryPolicy = { maxRetries: 2, backoffMs: 100, backoffMaxMs: 300, timeoutMs: 50 };

describe("backoff", () => {
  it("doubles per retry within ±25 % and stops at the maximum", () => {
    for (let i = 0; i < 50; i++) {
      expect(backoff(policy, 0, null)).toBeGreaterThanOrEqual(75);
      expect(backoff(policy, 0, null)).toBeLessThanOrEqual(125);
      expect(backoff(policy, 1, null)).toBeGreaterThanOrEqual(150);
      expect(backoff(policy, 1, null)).toBeLessThanOrEqual(250);
      expect(backoff(policy, 5, null)).toBeLessThanOrEqual(375);
    }
  });

  it("prefers the server's Retry-After, capped at the maximum", () => {
    expect(backoff(policy, 0, 40)).toBe(40);
    expect(backoff(policy, 0, 60_000)).toBe(300);
  });
});

describe("withRetries", () => {
  const ctx = { policy: { ...policy, backoffMs: 1, backoffMaxMs: 2 }, baseUrl: "http://llm/v1", model: "m", signal: undefined, log: silentLogger() };

  it("aborts a try at its deadline and retries it", async () => {
    let tries = 0;
    const out = await withRetries(async (signal) => {
      tries++;
      if (tries === 1) {
        await new Promise((_, reject) => signal.addEventListener("abort", () => reject(new Error("aborted"))));
      }
      return "ok";
    }, ctx);
    expect(out).toBe("ok");
    expect(tries).toBe(2);
  });

  it("gives up after maxRetries + 1 tries with LLM_UNAVAILABLE", async () => {
    let tries = 0;
    const err = await withRetries(async () => {
      tries++;
      throw new TypeError("fetch failed");
    }, ctx).catch((e: unknown) => e);
    expect(tries).toBe(3);
    expect(err).toMatchObject({ code: "LLM_UNAVAILABLE", category: "infrastructure", retryable: true });
    expect((err as Error).message).toContain("http://llm/v1");
    expect((err as Error).message).toContain("fetch failed");
  });
});
