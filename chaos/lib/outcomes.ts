/**
 * Measured outcomes of the fault suite: each scenario writes one JSON file under chaos/.results/,
 * which `npm run docs:reliability` turns into docs/reliability.md.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const RESULTS_DIR = fileURLToPath(new URL("../.results/", import.meta.url));

export interface ScenarioOutcome {
  /** Stable id, also the file name. */
  id: string;
  /** Group in the document: crash, infrastructure, load, bad input, keys. */
  group: string;
  scenario: string;
  expectation: string;
  /** What was measured this time, one sentence with the numbers. */
  outcome: string;
  /** `file > test name`. */
  test: string;
  /** Counts used vs the issue's, when scaled down. */
  scale?: string;
  passed: boolean;
  seconds: number;
  at?: string;
}

/** Writes one scenario's outcome (overwrites the previous run's). */
export function recordOutcome(o: ScenarioOutcome): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `${o.id}.json`), `${JSON.stringify({ ...o, at: new Date().toISOString() }, null, 2)}\n`);
}

/** Every recorded outcome. */
export function readOutcomes(): ScenarioOutcome[] {
  let files: string[] = [];
  try {
    files = readdirSync(RESULTS_DIR).filter((f) => f.endsWith(".json"));
  } catch {
    return [];
  }
  return files.map((f) => JSON.parse(readFileSync(join(RESULTS_DIR, f), "utf8")) as ScenarioOutcome);
}

/** Seconds since `t0` (ms), one decimal. */
export const secondsSince = (t0: number): number => Math.round((Date.now() - t0) / 100) / 10;
