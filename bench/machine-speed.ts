/**
 * How fast this machine's cores are right now: a fixed CPU-bound workload in Node and in Python,
 * timed a few times (the best time counts, it is the least disturbed). Printed before every
 * scenario of `npm run bench`, so tables from different machines, or from one machine whose host
 * is busier at one moment than another, can be put side by side: a run whose probes are 1.5x
 * slower is not a 1.5x slower fleet.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus } from "node:os";

/** The probes' results, in milliseconds (best of the rounds). */
export interface MachineSpeed {
  model: string;
  mhz: number;
  cores: number;
  /** 20 million steps of a 32-bit LCG in optimised JavaScript (the core alone). */
  nodeMs: number;
  /** 4 million reads at LCG-random places of a 64 MiB array (caches and memory; wasm parsing and fork depend on them). */
  memoryMs: number;
  /** 2 million steps of the same LCG in CPython (an interpreter loop, as the harness runs). */
  pythonMs: number | null;
}

const ROUNDS = 5;
const PYTHON_PROBE = `
import time
best = float("inf")
for _ in range(${ROUNDS}):
    t = time.perf_counter()
    a = 1
    for _ in range(2_000_000):
        a = (a * 1103515245 + 12345) & 0xFFFFFFFF
    best = min(best, time.perf_counter() - t)
print(best * 1000)
`;

function nodeProbe(): number {
  let best = Number.POSITIVE_INFINITY;
  let sink = 0;
  for (let round = 0; round < ROUNDS + 1; round++) {
    const t = performance.now();
    let a = 1;
    for (let i = 0; i < 20_000_000; i++) a = (Math.imul(a, 1103515245) + 12345) >>> 0;
    sink ^= a;
    // the first round warms the JIT up and does not count
    if (round > 0) best = Math.min(best, performance.now() - t);
  }
  if (sink === 0.5) process.stdout.write(""); // keeps the loop from being optimised away
  return best;
}

function memoryProbe(): number {
  const words = new Int32Array(16 * 1024 * 1024);
  for (let i = 0; i < words.length; i += 1024) words[i] = i;
  let best = Number.POSITIVE_INFINITY;
  let sum = 0;
  for (let round = 0; round < ROUNDS + 1; round++) {
    const t = performance.now();
    let a = 1;
    for (let i = 0; i < 4_000_000; i++) {
      a = (Math.imul(a, 1103515245) + 12345) >>> 0;
      sum += words[a & (words.length - 1)] as number;
    }
    if (round > 0) best = Math.min(best, performance.now() - t);
  }
  if (sum === 0.5) process.stdout.write("");
  return best;
}

/** The clock of the first core: what Node reports, else /proc/cpuinfo (a VM may report 0 to Node). */
function mhzOf(reported: number): number {
  if (reported > 0) return reported;
  try {
    return Math.round(Number(/^cpu MHz\s*:\s*([\d.]+)/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? 0));
  } catch {
    return 0;
  }
}

function pythonProbe(python: string): number | null {
  const r = spawnSync(python, ["-c", PYTHON_PROBE], { encoding: "utf8", timeout: 60_000 });
  const ms = Number(r.stdout?.trim());
  return r.status === 0 && Number.isFinite(ms) ? ms : null;
}

/** Runs the probes (about two seconds on a 2-core development machine). */
export function measureMachineSpeed(python = "python3"): MachineSpeed {
  const cpu = cpus()[0];
  return {
    model: cpu?.model.trim() ?? "unknown",
    mhz: mhzOf(cpu?.speed ?? 0),
    cores: cpus().length,
    nodeMs: nodeProbe(),
    memoryMs: memoryProbe(),
    pythonMs: pythonProbe(python),
  };
}

/** One line for the bench's output. */
export function formatMachineSpeed(s: MachineSpeed): string {
  const py = s.pythonMs === null ? "python probe failed" : `python ${s.pythonMs.toFixed(1)} ms`;
  return `machine: ${s.cores} x ${s.model} @ ${s.mhz} MHz; CPU probes (best of ${ROUNDS}, lower is faster): node ${s.nodeMs.toFixed(1)} ms, memory ${s.memoryMs.toFixed(1)} ms, ${py}`;
}
