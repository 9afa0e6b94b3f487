/**
 * Analysis bench: time to analyse a 1,000-line Python file (p50 / p99 over many runs) and
 * lines per second with the fleet's engine (`auto`: pyfleet's tree-sitter addon, `flat`, where
 * it is built) and with web-tree-sitter (the fallback), next to the original system's regex scan
 * on the same text. "parse + walk" reads every node once and builds nothing: for the cursor
 * engines a cursor visit of every node, for `flat` the addon's one-call table of every node; no
 * analysis that reads the whole tree that way can be faster. The wasm rows walk with the direct
 * cursor (WebAssembly functions called without web-tree-sitter's per-call state copy).
 * Run: npx tsx bench/analysis/run.ts [--runs N]
 */
import { loadavg } from "node:os";
import { analyzeWith, PythonParser, resolveSettings } from "@pyfleet/analysis";
import { regexScan } from "./regex-baseline.js";
import { sampleModule } from "./sample.js";

const runsArg = process.argv.indexOf("--runs");
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 300;
const WARMUP = 30;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Wall-clock p50 / p99 / mean, plus mean CPU time (less sensitive to other processes on the machine). */
function measure(fn: () => void): { p50: number; p99: number; mean: number; cpu: number } {
  for (let i = 0; i < WARMUP; i++) fn();
  const times: number[] = [];
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  const cpu = process.cpuUsage(cpuStart);
  times.sort((a, b) => a - b);
  return {
    p50: percentile(times, 50),
    p99: percentile(times, 99),
    mean: times.reduce((a, b) => a + b, 0) / times.length,
    cpu: (cpu.user + cpu.system) / 1000 / RUNS,
  };
}

const code = sampleModule(1000);
const lines = code.split("\n").length - 1;
const parser = await PythonParser.create();
// the other engine, side by side (auto takes the addon where it is built, else wasm with its direct cursor)
const other = await PythonParser.create(parser.engine === "wasm" ? "native" : "wasm");
const settings = resolveSettings({});
const sample = analyzeWith(parser, { code, expectedResults: {} }, settings);
const regex = regexScan(code);

const small = sampleModule(100);
const rows = [
  { name: "original regex scan", lines, m: measure(() => regexScan(code)) },
  { name: `parse only (${parser.engine})`, lines, m: measure(() => parser.parseOnly(code)) },
  { name: `parse + walk (${parser.engine})`, lines, m: measure(() => parser.parseAndWalk(code)) },
  { name: `parse + copy (${parser.engine})`, lines, m: measure(() => parser.parse(code)) },
  { name: `full analysis (${parser.engine})`, lines, m: measure(() => analyzeWith(parser, { code, expectedResults: {} }, settings)) },
  { name: `parse only (${other.engine})`, lines, m: measure(() => other.parseOnly(code)) },
  { name: `parse + walk (${other.engine})`, lines, m: measure(() => other.parseAndWalk(code)) },
  { name: `parse + copy (${other.engine})`, lines, m: measure(() => other.parse(code)) },
  { name: `full analysis (${other.engine})`, lines, m: measure(() => analyzeWith(other, { code, expectedResults: {} }, settings)) },
  { name: `100-line file (${parser.engine})`, lines: 100, m: measure(() => analyzeWith(parser, { code: small, expectedResults: {} }, settings)) },
];
const base = rows[0]!.m;

console.log(
  `analysis bench: ${lines} lines, ${code.length} bytes, ${RUNS} runs after ${WARMUP} warm-up, node ${process.version}, load average ${loadavg()[0]!.toFixed(1)}`,
);
console.log(
  `pyfleet found ${sample.pv_writes.length} writes, ${sample.pv_reads.length} reads, mode ${sample.execution_mode}; regex scan counted ${regex.writes} writes, ${regex.reads} reads (dict.get / queue.put included)\n`,
);
const pad = (s: string, n: number) => s.padEnd(n);
const num = (x: number) => x.toFixed(3).padStart(9);
console.log(
  `${pad("method", 28)}${"p50 ms".padStart(9)}${"p99 ms".padStart(9)}${"mean ms".padStart(9)}${"cpu ms".padStart(9)}${"lines/s".padStart(12)}${"p50 / regex".padStart(13)}`,
);
for (const { name, lines: n, m } of rows)
  console.log(
    `${pad(name, 28)}${num(m.p50)}${num(m.p99)}${num(m.mean)}${num(m.cpu)}${Math.round(n / (m.p50 / 1000)).toLocaleString("en").padStart(12)}${n === lines ? `${(m.p50 / base.p50).toFixed(1)}x`.padStart(13) : "".padStart(13)}`,
  );
const full = rows[4]!.m;
const fullOther = rows[8]!.m;
const floor = rows[2]!.m;
console.log(`\n${parser.engine} vs ${other.engine}, full analysis: p50 ${(full.p50 / fullOther.p50).toFixed(2)}x, cpu ${(full.cpu / fullOther.cpu).toFixed(2)}x`);
console.log(`target p50 < 10 ms for 1,000 lines (${parser.engine}): ${full.p50 < 10 ? "met" : "NOT met"} (${full.p50.toFixed(2)} ms)`);
console.log(
  `floor of any full read of the tree (parse + one read of all ${parser.parseAndWalk(code).toLocaleString("en")} nodes, ${parser.engine}): p50 ${floor.p50.toFixed(2)} ms; the analysis above it: ${(full.p50 - floor.p50).toFixed(2)} ms`,
);
const floorOther = rows[6]!.m;
console.log(
  `floor with ${other.engine} (parse + one read of every node): p50 ${floorOther.p50.toFixed(2)} ms, cpu ${floorOther.cpu.toFixed(2)} ms; the analysis above it: p50 ${(fullOther.p50 - floorOther.p50).toFixed(2)} ms, cpu ${(fullOther.cpu - floorOther.cpu).toFixed(2)} ms`,
);
