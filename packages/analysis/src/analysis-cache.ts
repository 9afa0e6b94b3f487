import { createHash } from "node:crypto";
import type { AnalysisResult, AnalyzeInput } from "@pyfleet/core";

/** Entries kept by default: a few hundred results are a few MB at most. */
export const DEFAULT_CACHE_ENTRIES = 512;

/**
 * Analysis results by code hash, least recently used dropped first. The analysis is a pure
 * function of the code, the expected result keys and the analyzer's settings (fixed per
 * analyzer), so a regenerated or retried run with the same code gets the stored verdict without
 * being parsed again. Results are copied in and out: a caller that changes one cannot change
 * what the next caller gets.
 */
export class AnalysisCache {
  private readonly entries = new Map<string, AnalysisResult>();
  private hitCount = 0;

  /** @param maxEntries most results kept (0 disables the cache). */
  constructor(readonly maxEntries = DEFAULT_CACHE_ENTRIES) {
    if (!Number.isInteger(maxEntries) || maxEntries < 0) throw new RangeError(`maxEntries must be a non-negative integer, got ${maxEntries}`);
  }

  /** The key of an input: sha256 of the code plus the expected result keys (order does not matter). */
  static key(input: AnalyzeInput): string {
    const expected = Object.keys(input.expectedResults ?? {}).sort();
    return createHash("sha256").update(input.code).update("\0").update(JSON.stringify(expected)).digest("hex");
  }

  /** A copy of the stored result, or undefined. */
  get(key: string): AnalysisResult | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    this.entries.delete(key);
    this.entries.set(key, hit);
    this.hitCount++;
    return structuredClone(hit);
  }

  set(key: string, result: AnalysisResult): void {
    if (this.maxEntries === 0) return;
    this.entries.delete(key);
    this.entries.set(key, structuredClone(result));
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  /** Results stored now. */
  get size(): number {
    return this.entries.size;
  }

  /** Lookups answered from the cache since it was made. */
  get hits(): number {
    return this.hitCount;
  }
}
