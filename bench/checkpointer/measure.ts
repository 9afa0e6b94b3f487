import type { Redis } from "ioredis";

/** Latency summary of one operation, in milliseconds. */
export interface Latency {
  p50: number;
  p99: number;
  n: number;
}

function percentile(sorted: number[], p: number): number {
  const at = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[at] ?? Number.NaN;
}

/** Runs `fn` `warmup` times unmeasured, then `n` times sequentially, timing each call. */
export async function timeIt(n: number, warmup: number, fn: (i: number) => Promise<unknown>): Promise<Latency> {
  for (let i = 0; i < warmup; i += 1) await fn(i);
  const samples: number[] = [];
  for (let i = 0; i < n; i += 1) {
    const start = performance.now();
    await fn(warmup + i);
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), n };
}

/**
 * Counts the commands one ioredis client sends, by name, by wrapping its `sendCommand`
 * (no MONITOR, which would slow the server and see other clients). Each counted command is
 * one request on the wire; EVALSHA counts once however many commands its script runs.
 */
export function countCommands(redis: Redis): { counts: Map<string, number>; reset(): void; total(): number } {
  const counts = new Map<string, number>();
  const original = redis.sendCommand.bind(redis);
  redis.sendCommand = ((command: { name: string }, ...rest: unknown[]) => {
    counts.set(command.name, (counts.get(command.name) ?? 0) + 1);
    return (original as (...args: unknown[]) => unknown)(command, ...rest);
  }) as typeof redis.sendCommand;
  return {
    counts,
    reset: () => counts.clear(),
    total: () => [...counts.values()].reduce((a, b) => a + b, 0),
  };
}

/**
 * Server-side `total_commands_processed` (which includes the commands Lua scripts run) read
 * through a separate connection. Other clients of a shared server inflate the delta, so the
 * bench reports it next to the exact client-side count.
 */
export async function serverCommands(admin: Redis): Promise<number> {
  const info = await admin.info("stats");
  const match = /total_commands_processed:(\d+)/.exec(info);
  return match ? Number(match[1]) : Number.NaN;
}

/** Renders rows as an aligned plain-text table. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ");
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

export const ms = (v: number) => v.toFixed(3);
