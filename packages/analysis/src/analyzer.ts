import type { AnalysisResult, AnalyzeInput, CodeAnalyzer, Finding, PvAccess } from "@pyfleet/core";
import { AnalysisCache } from "./analysis-cache.js";
import { detect } from "./detect.js";
import type { Access } from "./detection.js";
import { type AnalyzerOptions, type ResolvedPolicy, resolvePolicy } from "./options.js";
import { type ParserEngineChoice, PythonParser } from "./parser.js";
import { decideApproval } from "./policy.js";
import type { PyNode } from "./py-node.js";
import { Resolver } from "./resolver.js";
import { analyzeResults } from "./results-structure.js";
import { type RuleLevels, resolveRuleLevels } from "./rules.js";
import { type Emit, SecurityChecks } from "./security.js";
import { SourceLines, syntaxFindings } from "./syntax.js";
import { undefinedNames } from "./undefined-names.js";

/** Version stamped on every result; bump when verdicts can change for the same code. */
export const ANALYZER_VERSION = "pyfleet-analysis 0.1.0 (tree-sitter-python 0.25)";

/** How deep literal strings given to exec/eval are analysed as code. */
const MAX_NESTING = 3;

/** Settings the analysis runs with, resolved once from {@link AnalyzerOptions}. */
export interface AnalysisSettings {
  policy: ResolvedPolicy;
  levels: RuleLevels;
}

/** Validates options (throws `CONFIG_INVALID`) and resolves defaults. */
export function resolveSettings(options: AnalyzerOptions = {}): AnalysisSettings {
  return { policy: resolvePolicy(options), levels: resolveRuleLevels(options.analysis?.rules) };
}

/** How an analyzer runs (not part of config.yml). */
export interface AnalyzerRuntime {
  /** Results by code hash (default: a private {@link AnalysisCache} of 512 entries; `new AnalysisCache(0)` disables it). */
  cache?: AnalysisCache;
  /** Parser engine (default: `PYFLEET_ANALYSIS_PARSER`, else the native binding when it loads, else WebAssembly). */
  parser?: ParserEngineChoice;
}

/**
 * Creates the analyzer the workflow uses. Options are validated here, so a bad config fails at
 * start-up; the grammar is loaded on the first `analyze` and shared by the process. The same code
 * with the same expected result keys is analysed once per analyzer (see {@link AnalysisCache}).
 * @throws PyfleetError `CONFIG_INVALID` for invalid options.
 */
export function createAnalyzer(options: AnalyzerOptions = {}, runtime: AnalyzerRuntime = {}): CodeAnalyzer {
  const settings = resolveSettings(options);
  const cache = runtime.cache ?? new AnalysisCache();
  return {
    async analyze(input: AnalyzeInput): Promise<AnalysisResult> {
      const started = performance.now();
      const key = AnalysisCache.key(input);
      const hit = cache.get(key);
      if (hit) return { ...hit, duration_ms: performance.now() - started };
      const result = analyzeWith(await PythonParser.create(runtime.parser), input, settings);
      cache.set(key, result);
      return result;
    },
  };
}

function finding(lines: SourceLines, node: PyNode, rule: string, level: Finding["level"], message: string): Finding {
  return { rule, level, line: node.row + 1, column: node.column + 1, snippet: lines.at(node.row), message };
}

/**
 * Control-system accesses of a code string (literal code given to exec/eval); its security
 * findings go to `emit` so the caller can report them at the exec/eval call.
 */
function accessesOf(parser: PythonParser, code: string, depth: number, emit: Emit): Access[] {
  const { root } = parser.parse(code);
  const r = new Resolver(code, root);
  r.solve();
  const security = new SecurityChecks(r, emit);
  return detect(r, security, (inner) => (depth < MAX_NESTING ? accessesOf(parser, inner, depth + 1, emit) : [dynamicAccess(root)]));
}

function dynamicAccess(node: PyNode): Access {
  return { kind: "write", pv: null, node, api: "dynamic", dynamic: true, reason: "code nested too deeply in exec/eval strings" };
}

function toPvAccess(a: Access): PvAccess {
  return { pv: a.pv, line: a.node.row + 1, column: a.node.column + 1, api: a.api, dynamic: a.dynamic };
}

function uniqueBy<T>(items: T[], key: (t: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((t) => {
    const k = key(t);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Imports that define names generated code often uses without importing them. */
const IMPORT_HINTS: Record<string, string> = {
  caput: "from epics import caput",
  caget: "from epics import caget",
  PV: "from epics import PV",
  camonitor: "from epics import camonitor",
  np: "import numpy as np",
  pd: "import pandas as pd",
  plt: "import matplotlib.pyplot as plt",
  DeviceProxy: "from tango import DeviceProxy",
};

function undefinedMessage(name: string): string {
  const hint = IMPORT_HINTS[name];
  return `undefined name "${name}": it is never imported, defined or assigned, so the code would fail with NameError${hint ? ` (missing \`${hint}\`?)` : ""}`;
}

/** The whole analysis, synchronous once the parser exists (the bench calls it directly). */
export function analyzeWith(parser: PythonParser, input: AnalyzeInput, settings: AnalysisSettings): AnalysisResult {
  const started = performance.now();
  const src = input.code;
  const { root } = parser.parse(src);
  const lines = new SourceLines(src);
  const findings: Finding[] = syntaxFindings(src, root, lines);
  const r = new Resolver(src, root);
  r.solve();
  const emit: Emit = (rule, node, message) => {
    const level = settings.levels[rule];
    if (level !== "allow") findings.push(finding(lines, node, rule, level, message));
  };
  if (findings.length === 0)
    for (const u of undefinedNames(r)) emit("undefined-name", u.node, undefinedMessage(u.name));
  const security = new SecurityChecks(r, emit);
  const accesses = detect(r, security, (code, at) =>
    accessesOf(parser, code, 1, (rule, _node, message) => emit(rule, at, `${message} (in an exec/eval string)`)).map((a) => ({
      ...a,
      node: at,
      api: `${a.api} (in exec/eval string)`,
    })),
  );
  const key = (a: Access) => `${a.kind}|${a.pv}|${a.node.id}|${a.api}`;
  const writes = uniqueBy(accesses.filter((a) => a.kind === "write"), key);
  const reads = uniqueBy(accesses.filter((a) => a.kind === "read"), key);
  for (const w of writes) {
    if (w.serve)
      findings.push(
        finding(
          lines,
          w.node,
          "control-serve",
          "warn",
          `serves ${w.pv ?? "PVs"} on the control network via ${w.api}: a served PV can shadow a real one, so this counts as a control-system write (approval required)`,
        ),
      );
    else if (w.dynamic)
      findings.push(finding(lines, w.node, "dynamic-control-access", "warn", `${w.reason}; counted as a possible control-system write (fail safe)`));
    else findings.push(finding(lines, w.node, "control-write", "info", `writes ${w.pv ?? "a PV whose name is not a literal"} via ${w.api}`));
  }
  for (const a of reads) findings.push(finding(lines, a.node, "control-read", "info", `reads ${a.pv ?? "a PV whose name is not a literal"} via ${a.api}`));

  const results = analyzeResults(r);
  const expected = Object.keys(input.expectedResults ?? {});
  if (results.built === "none")
    findings.push({
      rule: "results-missing",
      level: "warn",
      line: 0,
      column: 0,
      snippet: "",
      message: "no module-level `results` dict is assigned; the run will return no structured results",
    });
  else if (results.built === "dict" || results.keys.size > 0)
    for (const k of expected)
      if (!results.keys.has(k))
        findings.push({
          rule: "result-key-missing",
          level: "warn",
          line: results.line ?? 0,
          column: 1,
          snippet: results.line ? lines.at(results.line - 1) : "",
          message: results.dynamicKeys
            ? `expected result "${k}" is not set with a literal key (some keys are computed)`
            : `expected result "${k}" is never set in results`,
        });

  const mode = writes.length > 0 ? "write_access" : "read_only";
  const first = writes[0];
  if (first && !settings.policy.writesEnabled)
    findings.push(
      finding(
        lines,
        first.node,
        "writes-disabled",
        "block",
        `control-system writes are disabled (control_system.writes_enabled: false) but the code writes at line${writes.length > 1 ? "s" : ""} ${[...new Set(writes.map((w) => w.node.row + 1))].join(", ")}; generate read-only code: read PVs only, never caput/put/set/write`,
      ),
    );
  const decision = decideApproval(settings.policy, mode, writes.length);
  const unique = uniqueBy(findings, (f) => `${f.rule}|${f.line}|${f.column}|${f.message}`).sort((a, b) => a.line - b.line || a.column - b.column);
  const blocking = unique.filter((f) => f.level === "block");
  const passed = blocking.length === 0;
  const reasoning = passed
    ? decision.reasoning
    : `Analysis failed: ${blocking.map((f) => `${f.rule} at line ${f.line}`).join("; ")}. ${decision.reasoning}`;
  return {
    passed,
    severity: blocking.length > 0 ? "error" : unique.some((f) => f.level === "warn") ? "warning" : "info",
    findings: unique,
    pv_writes: writes.map(toPvAccess),
    pv_reads: reads.map(toPvAccess),
    execution_mode: mode,
    needs_approval: decision.needsApproval,
    reasoning,
    results_keys: expected.filter((k) => results.keys.has(k)),
    analyzer_version: ANALYZER_VERSION,
    duration_ms: performance.now() - started,
  };
}

/** Feedback for regeneration: every blocking and warning finding, one per line. */
export function formatFeedback(result: AnalysisResult): string {
  return result.findings
    .filter((f) => f.level === "block" || f.level === "warn")
    .map((f) => `line ${f.line}: [${f.rule}] ${f.message}`)
    .join("\n");
}
