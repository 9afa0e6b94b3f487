/**
 * Findings-equivalence dump: analyses the corpus, its variants (cut at 30 / 55 / 80 %, without
 * parentheses, indented, wrapped in `if True:`) and the bench samples of 10-2,000 lines with both
 * engines, two policies (defaults; writes enabled with approval of everything) and with and
 * without expected result keys, and writes one JSON line per analysis (`duration_ms` zeroed).
 * Run it on two trees and compare the files byte for byte: a change to the analysis that must
 * not change findings must leave the dump identical (17,400 analyses).
 * Run: npx tsx bench/analysis/equivalence.ts OUT_FILE [--engines native,wasm]
 * (`--engines flat` dumps pyfleet's addon alone: with `"engine":"flat"` read as `"native"` its
 * lines must equal the native half of a default dump.)
 */
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { analyzeWith, PARSER_ENGINES, type ParserEngine, PythonParser, resolveSettings } from "@pyfleet/analysis";
import { loadCorpus } from "../../packages/analysis/src/corpus.js";
import { sampleModule } from "./sample.js";

const out = process.argv[2];
if (!out) throw new Error("usage: equivalence.ts OUT_FILE [--engines native,wasm]");
const enginesAt = process.argv.indexOf("--engines");
const engines = (enginesAt > 0 ? String(process.argv[enginesAt + 1]) : "native,wasm").split(",") as ParserEngine[];
const unknown = engines.filter((e) => e === ("auto" as string) || !(PARSER_ENGINES as readonly string[]).includes(e));
if (unknown.length > 0) throw new Error(`--engines: ${unknown.join(", ")} is not an engine; name some of ${PARSER_ENGINES.filter((e) => e !== "auto").join(", ")}`);

const indent = (code: string) =>
  code
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n");
const inputs: Array<{ name: string; code: string }> = [];
for (const c of loadCorpus()) {
  inputs.push({ name: c.file, code: c.code });
  for (const f of [0.3, 0.55, 0.8]) inputs.push({ name: `${c.file} cut ${f}`, code: c.code.slice(0, Math.floor(c.code.length * f)) });
  inputs.push({ name: `${c.file} no parentheses`, code: c.code.replaceAll("(", "") });
  inputs.push({ name: `${c.file} indented`, code: indent(c.code) });
  inputs.push({ name: `${c.file} in if`, code: `if True:\n${indent(c.code)}\n` });
}
for (const n of [10, 100, 500, 1000, 2000]) inputs.push({ name: `sample ${n}`, code: sampleModule(n) });

const policies = [
  { name: "default", settings: resolveSettings({}) },
  {
    name: "writes",
    settings: resolveSettings({ control_system: { writes_enabled: true }, approval: { global_mode: "all_capabilities" } }),
  },
];
const lines: string[] = [];
for (const engine of engines) {
  const parser = await PythonParser.create(engine);
  for (const p of policies)
    for (const expectedResults of [{}, { value: null, status: null }])
      for (const { name, code } of inputs) {
        const r = analyzeWith(parser, { code, expectedResults }, p.settings);
        lines.push(JSON.stringify({ engine, policy: p.name, keys: Object.keys(expectedResults).length, name, r: { ...r, duration_ms: 0 } }));
      }
}
const text = `${lines.join("\n")}\n`;
writeFileSync(out, text);
console.log(`${lines.length} analyses, sha256 ${createHash("sha256").update(text).digest("hex")}`);
