import { type AccessKind, constructorFamily, FAMILIES, FUNCTIONS, HELPERS, type PlanSpec, PLANS, SERVERS, UNMISTAKABLE_METHODS } from "./catalog.js";
import type { Callee, Detection } from "./detection.js";
import { readbackPv, setpointPv } from "./device-names.js";
import { methodPvs } from "./method-pvs.js";
import { field, type PyNode, text, walk } from "./py-node.js";
import type { Scope } from "./scopes.js";
import type { Value } from "./values.js";

const EXEC_LIKE = new Set(["builtins.exec", "builtins.eval", "builtins.compile"]);
/** Method names that write on PV-like objects of every supported library. */
const WRITE_LIKE = new Set(["put", "set", "write", "move"]);
const RUNNERS = new Set(["runpy.run_path", "runpy.run_module"]);
const PATHLIB = new Set(["pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath"]);

/** A catalog entry for a qualified function name (by full name, else a known helper's last segment). */
function functionSpec(q: string) {
  return FUNCTIONS[q] ?? HELPERS[q.slice(q.lastIndexOf(".") + 1)];
}

/**
 * A call: what its callee resolves to decides the access (catalog functions, plans, servers,
 * methods of control objects, dynamic values), and every resolved callee goes to the security checks.
 */
export function onCall(d: Detection, call: PyNode, s: Scope): void {
  const fn = field(call, "function");
  if (!fn) return;
  d.security.onAnyCall(call);
  const method = fn.type === "attribute" ? text(d.r.src, field(fn, "attribute") ?? fn) : null;
  let typed = false;
  for (const v of d.r.eval(fn, s).values()) {
    if (v.k === "qual") onQualifiedCall(d, v.q, call, s);
    else if (v.k === "meth") onMethodCall(d, v, call, s);
    else if (v.k === "dyn") d.add("write", [], call, "dynamic", v.reason);
    if (v.k !== "obj") typed = true;
  }
  const unmistakable = method ? UNMISTAKABLE_METHODS[method] : undefined;
  if (!typed && unmistakable) d.add(unmistakable.kind, d.pvFor(unmistakable, call, s, null, null), call, `.${method}`);
  if (!typed && method && !unmistakable && WRITE_LIKE.has(method) && d.r.usesControl) onUntypedWrite(d, fn, method, call, s);
  if (method && fn.type === "attribute") onPathCall(d, method, fn, call, s);
}

function calleeFacts(d: Detection, q: string): Callee {
  // A name nobody defines (`caput(...)` without its import) fails with NameError, which the
  // undefined-name rule reports; the access is reported as well, like `connector.write_channel`.
  const undefinedName = q.startsWith("builtins.") ? UNMISTAKABLE_METHODS[q.slice(9)] : undefined;
  const spec = functionSpec(q) ?? undefinedName;
  const facts = {
    spec,
    api: spec ? q.replace(/^builtins\./, "") : q,
    plan: PLANS[q],
    server: SERVERS[q],
    monitor: constructorFamily(q) === "epics.PV",
    setattr: q === "builtins.setattr",
    exec: EXEC_LIKE.has(q),
    runner: RUNNERS.has(q),
  };
  const quiet = !(facts.spec || facts.plan || facts.server || facts.monitor || facts.setattr || facts.exec || facts.runner) && !d.security.mayReport(q);
  return { ...facts, quiet, writes: functionSpec(q)?.kind === "write" };
}

/**
 * What a callee name means to detection, computed once per name and analysis: the same few
 * names are called hundreds of times, and each asks several catalog tables.
 */
function calleeOf(d: Detection, q: string): Callee {
  let c = d.callees.get(q);
  if (!c) {
    c = calleeFacts(d, q);
    d.callees.set(q, c);
  }
  return c;
}

function onQualifiedCall(d: Detection, q: string, call: PyNode, s: Scope): void {
  const c = calleeOf(d, q);
  if (c.quiet) return;
  d.security.onCall(q, call, s);
  if (c.spec) d.add(c.spec.kind, d.pvFor(c.spec, call, s, null, null), call, c.api);
  if (c.plan) onPlan(d, q, c.plan, call, s);
  if (c.server) d.serve(servedNames(d, c.server.names, call, s), call, `${q} (serves PVs)`);
  if (d.mayPassCallbacks && c.monitor && d.r.args(call).keywords.has("callback")) d.add("read", d.r.pvNames(call, s), call, `${q} with a monitor callback`);
  if (c.setattr) onSetattr(d, call, s);
  if (c.exec) onExec(d, call, s, q.slice(9));
  if (c.runner) d.add("write", [], call, "dynamic", `${q}() runs Python code the analyzer cannot see`);
}

function onMethodCall(d: Detection, v: Extract<Value, { k: "meth" }>, call: PyNode, s: Scope): void {
  const fam = FAMILIES[v.fam];
  if (!fam) return;
  if (fam.serves?.has(v.name)) {
    d.serve([], call, `${v.fam}.${v.name} (serves a PV)`);
    return;
  }
  const setter = v.name === "__setattr__" && fam.attrWrites.size > 0;
  const kind: AccessKind | undefined =
    fam.writes.has(v.name) || setter
      ? "write"
      : fam.reads.has(v.name) || fam.readPrefixes?.some((p) => v.name.startsWith(p))
        ? "read"
        : fam.factories?.[v.name] || v.name.startsWith("_")
          ? undefined
          : fam.otherMethods;
  if (kind) d.add(kind, methodPvs(d, v.fam, v.name, v.pv, kind, call, s), call, `${v.fam}.${v.name}`);
}

/** A bluesky plan: writes the setpoints of the devices it moves, reads the devices it reads. */
function onPlan(d: Detection, api: string, plan: PlanSpec, call: PyNode, s: Scope): void {
  const positional = d.r.args(call).positional;
  if (plan.moves) {
    const moved = d.devices(plan.moves === "all" ? positional : positional.slice(1), s, false);
    const pvs = moved.found.map(setpointPv);
    d.add("write", moved.unknown && pvs.length === 0 ? [] : pvs, call, `${api} (moves a device)`);
    if (plan.reads === "arg0") {
      const readMoved = moved.found.map(readbackPv);
      if (readMoved.length > 0) d.add("read", readMoved, call, `${api} (reads the moved device)`);
    }
  }
  if (plan.reads) {
    const read = d.devices(plan.reads === "arg0" ? positional.slice(0, 1) : positional, s, plan.reads === "arg0");
    const pvs = read.found.map(readbackPv);
    if (pvs.length > 0 || read.unknown) d.add("read", pvs, call, `${api} (reads a device)`);
  }
}

/** Literal PV names a server call serves, where they are written out. */
function servedNames(d: Detection, where: "providers" | "arg0" | "arg1-keys" | "none", call: PyNode, s: Scope): Array<string | null> {
  if (where === "none") return [];
  const args = d.r.args(call);
  if (where === "arg0") return d.r.strings(args.positional[0], s);
  const providers = args.keywords.get("providers") ?? args.positional[0];
  const names: string[] = [];
  if (providers)
    walk(providers, (n) => {
      if (n.type === "pair") {
        const key = field(n, "key");
        const name = key ? d.r.literal(key) : null;
        if (name !== null) names.push(name);
      }
    });
  return names;
}

/**
 * A write function or method handed to other code as a value (`map(caput, ...)`,
 * `Thread(target=pv.put)`, `partial(caput, name)`): whoever receives it may call it.
 */
export function onCallableArgument(d: Detection, n: PyNode, s: Scope): void {
  for (const v of d.r.eval(n, s).values()) {
    if (v.k === "qual" && calleeOf(d, v.q).writes) d.add("write", [], n, `${v.q} passed as a callable`);
    if (v.k === "meth" && FAMILIES[v.fam]?.writes.has(v.name)) d.add("write", [v.pv], n, `${v.fam}.${v.name} passed as a callable`);
  }
}

/**
 * `x.put(...)` / `x.set(...)` on an object the resolver knows nothing about (no value at all,
 * e.g. a parameter nobody passes anything to), in code that uses a control-system client: it
 * may be a PV, so it counts as a possible write. Objects known to be plain (literals, results
 * of non-control libraries, dicts, queues) never get here.
 */
function onUntypedWrite(d: Detection, fn: PyNode, method: string, call: PyNode, s: Scope): void {
  const obj = field(fn, "object");
  if (!obj || d.r.eval(obj, s).size > 0) return;
  d.add("write", [], call, "dynamic", `.${method}() on "${text(d.r.src, obj)}", an object of unknown type in code that uses a control-system client`);
}

function onPathCall(d: Detection, method: string, fn: PyNode, call: PyNode, s: Scope): void {
  const obj = field(fn, "object");
  if (obj?.type !== "call") return;
  const ctor = field(obj, "function");
  if (!ctor) return;
  for (const v of d.r.eval(ctor, s).values())
    if (v.k === "qual" && PATHLIB.has(v.q)) d.security.onPathMethod(method, d.r.args(obj).positional[0], call, s);
}

function onSetattr(d: Detection, call: PyNode, s: Scope): void {
  const [target, name] = d.r.args(call).positional;
  if (!target) return;
  for (const v of d.r.eval(target, s).values()) {
    if (v.k === "dyn") d.add("write", [], call, "dynamic", v.reason);
    if (v.k !== "inst") continue;
    const fam = FAMILIES[v.fam];
    if (fam && fam.attrWrites.size > 0) d.add("write", [v.pv ?? d.r.strings(name, s)[0] ?? null], call, `${v.fam} setattr`);
  }
}

/** exec/eval/compile: literal code (or the strings an argument may hold) is analysed as code; anything else is a possible write. */
function onExec(d: Detection, call: PyNode, s: Scope, name: string): void {
  const arg = d.r.args(call).positional[0];
  const literal = arg ? d.r.literal(arg) : null;
  if (literal !== null) {
    d.out.push(...d.nested(literal, call));
    return;
  }
  const values = arg ? d.r.strings(arg, s) : [];
  if (values.length > 0) {
    for (const code of values) d.out.push(...d.nested(code, call));
    return;
  }
  d.add("write", [], call, "dynamic", `${name}() of a computed string could write to the control system`);
}
