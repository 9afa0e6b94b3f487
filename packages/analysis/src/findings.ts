import type { AnalysisResult, Finding, PvAccess } from "@pyfleet/core";
import type { Access } from "./detection.js";
import type { ApprovalDecision } from "./policy.js";
import type { PyNode } from "./py-node.js";
import type { ResultsInfo } from "./results-structure.js";
import type { RuleLevels } from "./rules.js";
import type { Emit } from "./security.js";
import type { SourceLines } from "./syntax.js";

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

/** The message of an `undefined-name` finding, with the import that probably went missing. */
export function undefinedMessage(name: string): string {
  const hint = IMPORT_HINTS[name];
  return `undefined name "${name}": it is never imported, defined or assigned, so the code would fail with NameError${hint ? ` (missing \`${hint}\`?)` : ""}`;
}

/** Items with a distinct key, first one kept, in order. */
export function uniqueBy<T>(items: T[], key: (t: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((t) => {
    const k = key(t);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * Findings with a distinct rule, position and message, first one kept, in order. The same as
 * {@link uniqueBy} with the key `rule|line|column|message` (a rule has no `|`, positions are
 * numbers, so the key tells the four apart), without building a key string per finding: findings
 * are bucketed by line and compared field by field.
 */
function distinct(items: Finding[]): Finding[] {
  const byLine = new Map<number, Finding[]>();
  const out: Finding[] = [];
  for (const f of items) {
    const same = byLine.get(f.line);
    if (!same) byLine.set(f.line, [f]);
    else if (same.some((g) => g.column === f.column && g.rule === f.rule && g.message === f.message)) continue;
    else same.push(f);
    out.push(f);
  }
  return out;
}

/** A control-system access as the result reports it. */
export function toPvAccess(a: Access): PvAccess {
  return { pv: a.pv, line: a.node.row + 1, column: a.node.column + 1, api: a.api, dynamic: a.dynamic };
}

/** The outcome fields of a result: verdict, severity, the reported findings and the reasoning. */
type Verdict = Pick<AnalysisResult, "passed" | "severity" | "findings" | "reasoning">;

/**
 * The findings of one analysis, in the order they are found. The order matters: duplicates are
 * dropped first-one-wins and the final sort by position is stable, so findings at the same
 * position keep the order of the steps that added them.
 */
export class FindingList {
  private readonly items: Finding[];

  /** Reports a security rule at the level the configuration gives it (nothing when `allow`). */
  readonly emit: Emit;

  constructor(
    private readonly lines: SourceLines,
    levels: RuleLevels,
    initial: Finding[] = [],
  ) {
    this.items = initial;
    this.emit = (rule, node, message) => {
      const level = levels[rule];
      if (level !== "allow") this.add(node, rule, level, message);
    };
  }

  /** True while nothing has been found (undefined names are only looked for in code that parses). */
  get empty(): boolean {
    return this.items.length === 0;
  }

  /** Adds a finding at a node. */
  add(node: PyNode, rule: string, level: Finding["level"], message: string): void {
    this.items.push({ rule, level, line: node.row + 1, column: node.column + 1, snippet: this.lines.at(node.row), message });
  }

  /** One finding per write (served PVs, assumed dynamic writes, plain writes), then one per read. */
  addAccesses(writes: Access[], reads: Access[]): void {
    for (const w of writes) {
      if (w.serve)
        this.add(
          w.node,
          "control-serve",
          "warn",
          `serves ${w.pv ?? "PVs"} on the control network via ${w.api}: a served PV can shadow a real one, so this counts as a control-system write (approval required)`,
        );
      else if (w.dynamic) this.add(w.node, "dynamic-control-access", "warn", `${w.reason}; counted as a possible control-system write (fail safe)`);
      else this.add(w.node, "control-write", "info", `writes ${w.pv ?? "a PV whose name is not a literal"} via ${w.api}`);
    }
    for (const a of reads) this.add(a.node, "control-read", "info", `reads ${a.pv ?? "a PV whose name is not a literal"} via ${a.api}`);
  }

  /** `results-missing`, or one `result-key-missing` per expected key the code never sets. */
  addResultStructure(results: ResultsInfo, expected: string[]): void {
    if (results.built === "none") {
      this.items.push({
        rule: "results-missing",
        level: "warn",
        line: 0,
        column: 0,
        snippet: "",
        message: "no module-level `results` dict is assigned; the run will return no structured results",
      });
      return;
    }
    if (results.built !== "dict" && results.keys.size === 0) return;
    for (const k of expected)
      if (!results.keys.has(k))
        this.items.push({
          rule: "result-key-missing",
          level: "warn",
          line: results.line ?? 0,
          column: 1,
          snippet: results.line ? this.lines.at(results.line - 1) : "",
          message: results.dynamicKeys
            ? `expected result "${k}" is not set with a literal key (some keys are computed)`
            : `expected result "${k}" is never set in results`,
        });
  }

  /** `writes-disabled` at the first write when the configuration forbids writes. */
  addWritesDisabled(writes: Access[], writesEnabled: boolean): void {
    const first = writes[0];
    if (!first || writesEnabled) return;
    const rows = [...new Set(writes.map((w) => w.node.row + 1))].join(", ");
    this.add(
      first.node,
      "writes-disabled",
      "block",
      `control-system writes are disabled (control_system.writes_enabled: false) but the code writes at line${writes.length > 1 ? "s" : ""} ${rows}; generate read-only code: read PVs only, never caput/put/set/write`,
    );
  }

  /** De-duplicated findings sorted by position, and the verdict they give with the approval decision. */
  verdict(decision: ApprovalDecision): Verdict {
    const findings = distinct(this.items).sort((a, b) => a.line - b.line || a.column - b.column);
    const blocking = findings.filter((f) => f.level === "block");
    const passed = blocking.length === 0;
    return {
      passed,
      severity: !passed ? "error" : findings.some((f) => f.level === "warn") ? "warning" : "info",
      findings,
      reasoning: passed ? decision.reasoning : `Analysis failed: ${blocking.map((f) => `${f.rule} at line ${f.line}`).join("; ")}. ${decision.reasoning}`,
    };
  }
}
