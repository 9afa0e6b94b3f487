import type { AnalysisResult, AnalyzeInput, CodeAnalyzer } from "@pyfleet/core";
import { AnalysisCache } from "./analysis-cache.js";
import { detect } from "./detect.js";
import type { Access } from "./detection.js";
import { FindingList, toPvAccess, undefinedMessage, uniqueBy } from "./findings.js";
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
  /** Parser engine (default: `PYFLEET_ANALYSIS_PARSER`, else `auto`: pyfleet's addon where `npm ci` built it, else WebAssembly). */
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

/**
 * Control-system accesses of a code string (literal code given to exec/eval); its security
 * findings go to `emit` so the caller can report them at the exec/eval call.
 */
function accessesOf(parser: PythonParser, code: string, depth: number, emit: Emit): Access[] {
  const { root, nodes } = parser.parse(code);
  const r = new Resolver(code, root, nodes);
  r.solve();
  const security = new SecurityChecks(r, emit);
  return detect(r, security, (inner) => (depth < MAX_NESTING ? accessesOf(parser, inner, depth + 1, emit) : [dynamicAccess(root)]));
}

function dynamicAccess(node: PyNode): Access {
  return { kind: "write", pv: null, node, api: "dynamic", dynamic: true, reason: "code nested too deeply in exec/eval strings" };
}

/** Parses the code and resolves its names; syntax errors are the first findings. */
function parseAndResolve(parser: PythonParser, src: string, levels: RuleLevels): { r: Resolver; found: FindingList } {
  const { root, nodes } = parser.parse(src);
  const lines = new SourceLines(src);
  const r = new Resolver(src, root, nodes);
  const found = new FindingList(lines, levels, syntaxFindings(src, r.scoped, lines));
  r.solve();
  return { r, found };
}

/** Names used but never defined; only looked for when the code parses (an error would make them noise). */
function reportUndefinedNames(r: Resolver, found: FindingList): void {
  if (!found.empty) return;
  for (const u of undefinedNames(r)) found.emit("undefined-name", u.node, undefinedMessage(u.name));
}

/**
 * Control-system writes and reads (each once), with the security rules checked on the same walk.
 * Literal code given to exec/eval is analysed too and reported at the exec/eval call.
 */
function detectAccesses(parser: PythonParser, r: Resolver, found: FindingList): { writes: Access[]; reads: Access[] } {
  const emit = found.emit;
  const accesses = detect(r, new SecurityChecks(r, emit), (code, at) =>
    accessesOf(parser, code, 1, (rule, _node, message) => emit(rule, at, `${message} (in an exec/eval string)`)).map((a) => ({
      ...a,
      node: at,
      api: `${a.api} (in exec/eval string)`,
    })),
  );
  const key = (a: Access) => `${a.kind}|${a.pv}|${a.node.id}|${a.api}`;
  return { writes: uniqueBy(accesses.filter((a) => a.kind === "write"), key), reads: uniqueBy(accesses.filter((a) => a.kind === "read"), key) };
}

/** The whole analysis, synchronous once the parser exists (the bench calls it directly). */
export function analyzeWith(parser: PythonParser, input: AnalyzeInput, settings: AnalysisSettings): AnalysisResult {
  const started = performance.now();
  const { r, found } = parseAndResolve(parser, input.code, settings.levels);
  reportUndefinedNames(r, found);
  const { writes, reads } = detectAccesses(parser, r, found);
  found.addAccesses(writes, reads);
  const results = analyzeResults(r);
  const expected = Object.keys(input.expectedResults ?? {});
  found.addResultStructure(results, expected);
  found.addWritesDisabled(writes, settings.policy.writesEnabled);
  const mode = writes.length > 0 ? "write_access" : "read_only";
  const decision = decideApproval(settings.policy, mode, writes.length);
  const { passed, severity, findings, reasoning } = found.verdict(decision);
  return {
    passed,
    severity,
    findings,
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
