import type { AccessKind, AccessSpec, PlanSpec } from "./catalog.js";
import { fieldPv } from "./device-names.js";
import { type PyNode, text } from "./py-node.js";
import type { Resolver } from "./resolver.js";
import type { Scope } from "./scopes.js";
import type { SecurityChecks } from "./security.js";
import type { Value } from "./values.js";

/** An object of a control-system family, as the resolver knows it. */
type Inst = Extract<Value, { k: "inst" }>;

/** One control-system access found in the code. */
export interface Access {
  kind: AccessKind;
  pv: string | null;
  node: PyNode;
  api: string;
  /** Assumed because it could not be resolved statically (fail safe). */
  dynamic: boolean;
  /** Why a dynamic access was assumed. */
  reason?: string;
  /** Serves PVs (an IOC or PV server started by the code); always a write. */
  serve?: boolean;
}

/** What detection does with a call whose callee resolved to one qualified name (see `calleeOf` in detect-calls.ts). */
export interface Callee {
  /** The catalog's access, and the name it is reported under. */
  spec: AccessSpec | undefined;
  api: string;
  plan: PlanSpec | undefined;
  server: { names: "providers" | "arg0" | "arg1-keys" | "none" } | undefined;
  /** A pyepics PV constructor: `callback=` makes it a monitored read. */
  monitor: boolean;
  setattr: boolean;
  exec: boolean;
  runner: boolean;
  /** Nothing here nor in the security checks applies: the call is passed over. */
  quiet: boolean;
  /** A catalog function that writes (handed to other code as a value, it may be called there). */
  writes: boolean;
}

/** Called for literal strings passed to exec/eval/compile, to analyse them as code too. */
export type NestedAnalysis = (code: string, at: PyNode) => Access[];

/**
 * The state of one detection walk: what the handlers read (the resolved module, the security
 * checks, the nested analysis of exec/eval strings) and where they put the accesses they find.
 */
export class Detection {
  readonly out: Access[] = [];
  /** What each callee name means to detection (see `calleeOf`). */
  readonly callees = new Map<string, Callee>();
  /** False when the source has no `callback` anywhere, so no call passes `callback=` (checked once instead of per call). */
  readonly mayPassCallbacks: boolean;

  constructor(
    readonly r: Resolver,
    readonly security: SecurityChecks,
    readonly nested: NestedAnalysis,
  ) {
    this.mayPassCallbacks = r.src.includes("callback");
  }

  /** Records one access per distinct PV name (one unnamed access when there is none); `reason` makes it dynamic. */
  add(kind: AccessKind, pvs: Array<string | null>, node: PyNode, api: string, reason?: string): void {
    for (const pv of pvs.length > 0 ? [...new Set(pvs)] : [null]) this.out.push({ kind, pv, node, api, dynamic: reason !== undefined, ...(reason ? { reason } : {}) });
  }

  /** Records PVs the code serves (always writes). */
  serve(pvs: Array<string | null>, node: PyNode, api: string): void {
    for (const pv of pvs.length > 0 ? [...new Set(pvs)] : [null]) this.out.push({ kind: "write", pv, node, api, dynamic: false, serve: true });
  }

  /** PV names a call accesses according to its catalog entry; `own` is the name of the object it is called on. */
  pvFor(spec: AccessSpec, call: PyNode, s: Scope, own: string | null, fam: string | null): Array<string | null> {
    if (spec.pv === "none") return [];
    if (spec.pv === "self") return [own];
    if (spec.pv === "chid0" || spec.pv === "chid1") return this.chidNames(this.r.args(call).positional[spec.pv === "chid0" ? 0 : 1], s);
    const args = this.r.pvNames(call, s);
    if (spec.pv === "self+arg0" && own !== null) return args.length > 0 ? args.map((a) => (fam ? fieldPv(fam, own, a) : own + a)) : [own];
    return args;
  }

  /** PV names of pyepics channel ids (`ca.create_channel("X")`) an argument may hold. */
  private chidNames(arg: PyNode | undefined, s: Scope): Array<string | null> {
    if (!arg) return [];
    const out: Array<string | null> = [];
    for (const v of this.r.eval(arg, s).values()) if (v.k === "inst" && v.fam === "epics.chid") out.push(v.pv);
    return out;
  }

  /** Literal keyword value (`True`, `"reverse"`) of a call, or null. */
  keyword(call: PyNode, name: string, position?: number): string | null {
    const args = this.r.args(call);
    const node = args.keywords.get(name) ?? (position !== undefined ? args.positional[position] : undefined);
    if (!node) return null;
    return this.r.literal(node) ?? text(this.r.src, node);
  }

  /** Devices (objects of control-system families) among the values of some argument nodes. */
  devices(nodes: PyNode[], s: Scope, elements: boolean): { found: Inst[]; unknown: boolean } {
    const found: Inst[] = [];
    let unknown = false;
    for (const n of nodes) {
      const values = elements ? this.r.elements(this.r.eval(n, s)) : this.r.eval(n, s);
      if (values.size === 0) unknown = true;
      for (const v of values.values()) if (v.k === "inst") found.push(v);
    }
    return { found, unknown };
  }
}
