import { type AccessKind, type AccessSpec, constructorFamily, type PlanSpec, FAMILIES, FUNCTIONS, HELPERS, PLANS, SERVERS, UNMISTAKABLE_METHODS } from "./catalog.js";
import { fieldPv, readbackPv, setpointPv } from "./device-names.js";
import { type PyNode, field, fields, text, walk as walkNodes } from "./py-node.js";
import type { Resolver } from "./resolver.js";
import type { Scope } from "./scopes.js";
import { walkScoped } from "./scopes.js";
import type { SecurityChecks } from "./security.js";
import type { Value } from "./values.js";

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

/** Called for literal strings passed to exec/eval/compile, to analyse them as code too. */
export type NestedAnalysis = (code: string, at: PyNode) => Access[];

const EXEC_LIKE = new Set(["builtins.exec", "builtins.eval", "builtins.compile"]);
/** Method names that write on PV-like objects of every supported library. */
const WRITE_LIKE = new Set(["put", "set", "write", "move"]);
const RUNNERS = new Set(["runpy.run_path", "runpy.run_module"]);
const PATHLIB = new Set(["pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath"]);

/**
 * Walks the resolved module once and reports control-system reads and writes, feeding the
 * security checks with every resolved call and import on the way.
 */
export function detect(r: Resolver, security: SecurityChecks, nested: NestedAnalysis): Access[] {
  const out: Access[] = [];
  const add = (kind: AccessKind, pvs: Array<string | null>, node: PyNode, api: string, reason?: string) => {
    for (const pv of pvs.length > 0 ? [...new Set(pvs)] : [null]) out.push({ kind, pv, node, api, dynamic: reason !== undefined, ...(reason ? { reason } : {}) });
  };
  const serve = (pvs: Array<string | null>, node: PyNode, api: string) => {
    for (const pv of pvs.length > 0 ? [...new Set(pvs)] : [null]) out.push({ kind: "write", pv, node, api, dynamic: false, serve: true });
  };
  const pvFor = (spec: AccessSpec, call: PyNode, s: Scope, own: string | null, fam: string | null): Array<string | null> => {
    if (spec.pv === "none") return [];
    if (spec.pv === "self") return [own];
    if (spec.pv === "chid0" || spec.pv === "chid1") return chidNames(r.args(call).positional[spec.pv === "chid0" ? 0 : 1], s);
    const args = r.pvNames(call, s);
    if (spec.pv === "self+arg0" && own !== null) return args.length > 0 ? args.map((a) => (fam ? fieldPv(fam, own, a) : own + a)) : [own];
    return args;
  };
  /** PV names of pyepics channel ids (`ca.create_channel("X")`) an argument may hold. */
  const chidNames = (arg: PyNode | undefined, s: Scope): Array<string | null> => {
    if (!arg) return [];
    const out: Array<string | null> = [];
    for (const v of r.eval(arg, s).values()) if (v.k === "inst" && v.fam === "epics.chid") out.push(v.pv);
    return out;
  };
  /** Literal keyword value (`True`, `"reverse"`) of a call, or null. */
  const keyword = (call: PyNode, name: string, position?: number): string | null => {
    const args = r.args(call);
    const node = args.keywords.get(name) ?? (position !== undefined ? args.positional[position] : undefined);
    if (!node) return null;
    return r.literal(node) ?? text(r.src, node);
  };
  /** Devices (objects of control-system families) among the values of some argument nodes. */
  const devices = (nodes: PyNode[], s: Scope, elements: boolean) => {
    const found: Inst[] = [];
    let unknown = false;
    for (const n of nodes) {
      const values = elements ? r.elements(r.eval(n, s)) : r.eval(n, s);
      if (values.size === 0) unknown = true;
      for (const v of values.values()) if (v.k === "inst") found.push(v);
    }
    return { found, unknown };
  };

  walkScoped(r.scoped, (n, s) => {
    switch (n.type) {
      case "call":
        onCall(n, s);
        return;
      case "attribute":
        if (!(n.field === "function" && n.parent?.type === "call")) onAttribute(n, s);
        if (text(r.src, field(n, "attribute") ?? n) === "environ") onEnviron(n, s);
        if (isArgument(n)) onCallableArgument(n, s);
        return;
      case "identifier":
        if (text(r.src, n) === "environ" && n.field !== "attribute" && n.parent?.type !== "dotted_name" && n.parent?.type !== "aliased_import") onEnviron(n, s);
        if (isArgument(n)) onCallableArgument(n, s);
        return;
      case "import_statement":
      case "import_from_statement":
        onImport(n);
        return;
      case "while_statement":
        security.onWhile(n);
        return;
      default:
        return;
    }
  });
  return withoutShadowedNulls(out);

  function onEnviron(n: PyNode, s: Scope): void {
    for (const v of r.eval(n, s).values())
      if (v.k === "qual" && v.q === "os.environ") {
        security.onEnviron(n, s);
        return;
      }
  }

  function onImport(n: PyNode): void {
    const from = n.type === "import_from_statement" ? field(n, "module_name") : undefined;
    const base = from ? text(r.src, from) : null;
    if (base !== null) security.onImport(base, n);
    for (const c of fields(n, "name")) {
      const dotted = text(r.src, c.type === "aliased_import" ? field(c, "name")! : c);
      security.onImport(base !== null ? `${base}.${dotted}` : dotted, n);
    }
  }

  function onCall(call: PyNode, s: Scope): void {
    const fn = field(call, "function");
    if (!fn) return;
    security.onAnyCall(call);
    const callee = r.eval(fn, s);
    const method = fn.type === "attribute" ? text(r.src, field(fn, "attribute") ?? fn) : null;
    let typed = false;
    for (const v of callee.values()) {
      if (v.k === "qual") {
        security.onCall(v.q, call, s);
        // A name nobody defines (`caput(...)` without its import) fails with NameError, which the
        // undefined-name rule reports; the access is reported as well, like `connector.write_channel`.
        const undefinedName = v.q.startsWith("builtins.") ? UNMISTAKABLE_METHODS[v.q.slice(9)] : undefined;
        const spec = FUNCTIONS[v.q] ?? HELPERS[v.q.slice(v.q.lastIndexOf(".") + 1)] ?? undefinedName;
        if (spec) add(spec.kind, pvFor(spec, call, s, null, null), call, v.q.replace(/^builtins\./, ""));
        const plan = PLANS[v.q];
        if (plan) onPlan(v.q, plan, call, s);
        const server = SERVERS[v.q];
        if (server) serve(servedNames(server.names, call, s), call, `${v.q} (serves PVs)`);
        if (r.args(call).keywords.has("callback") && constructorFamily(v.q) === "epics.PV") add("read", r.pvNames(call, s), call, `${v.q} with a monitor callback`);
        if (v.q === "builtins.setattr") onSetattr(call, s);
        if (EXEC_LIKE.has(v.q)) onExec(call, s, v.q.slice(9));
        if (RUNNERS.has(v.q)) add("write", [], call, "dynamic", `${v.q}() runs Python code the analyzer cannot see`);
        typed = true;
      } else if (v.k === "meth") {
        typed = true;
        const fam = FAMILIES[v.fam];
        if (!fam) continue;
        const setter = v.name === "__setattr__" && fam.attrWrites.size > 0;
        const kind: AccessKind | undefined =
          fam.writes.has(v.name) || setter
            ? "write"
            : fam.reads.has(v.name) || fam.readPrefixes?.some((p) => v.name.startsWith(p))
              ? "read"
              : fam.factories?.[v.name] || v.name.startsWith("_")
                ? undefined
                : fam.otherMethods;
        if (fam.serves?.has(v.name)) {
          serve([], call, `${v.fam}.${v.name} (serves a PV)`);
          continue;
        }
        if (kind) add(kind, methodPvs(v.fam, v.name, v.pv, kind, call, s), call, `${v.fam}.${v.name}`);
      } else if (v.k === "dyn") {
        typed = true;
        add("write", [], call, "dynamic", v.reason);
      } else if (v.k !== "obj") typed = true;
    }
    if (!typed && method && UNMISTAKABLE_METHODS[method]) {
      const spec = UNMISTAKABLE_METHODS[method]!;
      add(spec.kind, pvFor(spec, call, s, null, null), call, `.${method}`);
    }
    if (!typed && method && !UNMISTAKABLE_METHODS[method] && WRITE_LIKE.has(method) && r.usesControl) onUntypedWrite(fn, method, call, s);
    if (method && fn.type === "attribute") onPathCall(method, fn, call, s);
  }

  /**
   * PV names of a method call on a control object, as the device knows them (pyepics Motor
   * fields through the library's alias map, ophyd EpicsMotor components, Device prefix + field).
   */
  function methodPvs(fam: string, name: string, own: string | null, kind: AccessKind, call: PyNode, s: Scope): Array<string | null> {
    const attr = () => {
      const names = r.strings(r.args(call).positional[0] ?? r.args(call).keywords.get("attr"), s);
      return names.length > 0 ? names : [null];
    };
    const pvOf = (f: string | null) => (f === null ? null : fieldPv(fam, own, f));
    if (fam === "epics.Motor") {
      const dial = keyword(call, "dial") === "True";
      const raw = keyword(call, "step") === "True" || keyword(call, "raw") === "True";
      const drive = dial ? "DVAL" : raw ? "RVAL" : "VAL";
      switch (name) {
        case "move":
          return [pvOf(drive)];
        case "put":
        case "get":
        case "add_callback":
          return attr().map(pvOf);
        case "set_callback":
          return r.args(call).positional[0] || r.args(call).keywords.has("attr") ? attr().map(pvOf) : [pvOf("VAL")];
        case "tweak":
          return [pvOf(/^rev/.test(keyword(call, "direction", 0) ?? "") ? "TWR" : "TWF")];
        case "set_position":
          return [pvOf("SET"), pvOf(drive)];
        case "stop":
        case "StopNow":
          return [pvOf("STOP")];
        case "get_position":
          return [pvOf(keyword(call, "readback", 1) === "True" ? (dial ? "DRBV" : raw ? "RRBV" : "RBV") : drive)];
        case "check_limits":
          return [pvOf("LVIO"), pvOf("HLS"), pvOf("LLS")];
        case "within_limits":
          return dial ? [pvOf("DHLM"), pvOf("DLLM")] : [pvOf("HLM"), pvOf("LLM")];
        default:
          return [own];
      }
    }
    if (fam === "ophyd.EpicsMotor") {
      switch (name) {
        case "move":
        case "set":
          return [pvOf("user_setpoint")];
        case "stop":
          return [pvOf("motor_stop")];
        case "set_current_position":
          return [pvOf("set_use_switch"), pvOf("user_setpoint")];
        case "home": {
          const dir = keyword(call, "direction", 0) ?? "";
          return /rev/.test(dir) ? [pvOf("home_reverse")] : /forw/.test(dir) ? [pvOf("home_forward")] : [pvOf("home_forward"), pvOf("home_reverse")];
        }
        case "read":
        case "get":
          return [pvOf("user_readback")];
        default:
          return [own];
      }
    }
    if (fam === "ophyd.EpicsSignal") return kind === "write" ? [setpointPv({ k: "inst", fam, pv: own, wpv: wpvOf(call, s) })] : [own];
    if (fam === "tango.DeviceProxy" && own !== null && /^[A-Z]/.test(name)) return [`${own}/${name}`];
    if (own === null) return pvFor({ kind, pv: "arg0" }, call, s, own, fam);
    if (fam === "tango.DeviceProxy" || fam === "epics.Device") return pvFor({ kind, pv: "self+arg0" }, call, s, own, fam);
    return [own];
  }

  /** The write PV of the ophyd signal a method is called on (`EpicsSignal(read_pv, write_pv=...)`). */
  function wpvOf(call: PyNode, s: Scope): string | null {
    const fn = field(call, "function");
    const obj = fn?.type === "attribute" ? field(fn, "object") : undefined;
    if (!obj) return null;
    for (const v of r.eval(obj, s).values()) if (v.k === "inst" && v.fam === "ophyd.EpicsSignal" && v.wpv) return v.wpv;
    return null;
  }

  /** A bluesky plan: writes the setpoints of the devices it moves, reads the devices it reads. */
  function onPlan(q: string, plan: PlanSpec, call: PyNode, s: Scope): void {
    const positional = r.args(call).positional;
    const api = q;
    if (plan.moves) {
      const moved = devices(plan.moves === "all" ? positional : positional.slice(1), s, false);
      const pvs = moved.found.map(setpointPv);
      add("write", moved.unknown && pvs.length === 0 ? [] : pvs, call, `${api} (moves a device)`);
      if (plan.reads === "arg0") {
        const readMoved = moved.found.map(readbackPv);
        if (readMoved.length > 0) add("read", readMoved, call, `${api} (reads the moved device)`);
      }
    }
    if (plan.reads) {
      const read = devices(plan.reads === "arg0" ? positional.slice(0, 1) : positional, s, plan.reads === "arg0");
      const pvs = read.found.map(readbackPv);
      if (pvs.length > 0 || read.unknown) add("read", pvs, call, `${api} (reads a device)`);
    }
  }

  /** Literal PV names a server call serves, where they are written out. */
  function servedNames(where: "providers" | "arg0" | "arg1-keys" | "none", call: PyNode, s: Scope): Array<string | null> {
    if (where === "none") return [];
    const args = r.args(call);
    if (where === "arg0") return r.strings(args.positional[0], s);
    const providers = args.keywords.get("providers") ?? args.positional[0];
    const names: string[] = [];
    if (providers)
      walkNodes(providers, (n) => {
        if (n.type === "pair") {
          const key = field(n, "key");
          const name = key ? r.literal(key) : null;
          if (name !== null) names.push(name);
        }
      });
    return names;
  }

  /**
   * A write function or method handed to other code as a value (`map(caput, ...)`,
   * `Thread(target=pv.put)`, `partial(caput, name)`): whoever receives it may call it.
   */
  function onCallableArgument(n: PyNode, s: Scope): void {
    for (const v of r.eval(n, s).values()) {
      const spec = v.k === "qual" ? (FUNCTIONS[v.q] ?? HELPERS[v.q.slice(v.q.lastIndexOf(".") + 1)]) : undefined;
      if (spec?.kind === "write" && v.k === "qual") add("write", [], n, `${v.q} passed as a callable`);
      if (v.k === "meth" && FAMILIES[v.fam]?.writes.has(v.name)) add("write", [v.pv], n, `${v.fam}.${v.name} passed as a callable`);
    }
  }

  /**
   * `x.put(...)` / `x.set(...)` on an object the resolver knows nothing about (no value at all,
   * e.g. a parameter nobody passes anything to), in code that uses a control-system client: it
   * may be a PV, so it counts as a possible write. Objects known to be plain (literals, results
   * of non-control libraries, dicts, queues) never get here.
   */
  function onUntypedWrite(fn: PyNode, method: string, call: PyNode, s: Scope): void {
    const obj = field(fn, "object");
    if (!obj || r.eval(obj, s).size > 0) return;
    add("write", [], call, "dynamic", `.${method}() on "${text(r.src, obj)}", an object of unknown type in code that uses a control-system client`);
  }

  function onPathCall(method: string, fn: PyNode, call: PyNode, s: Scope): void {
    const obj = field(fn, "object");
    if (obj?.type !== "call") return;
    const ctor = field(obj, "function");
    if (!ctor) return;
    for (const v of r.eval(ctor, s).values())
      if (v.k === "qual" && PATHLIB.has(v.q)) security.onPathMethod(method, r.args(obj).positional[0], call, s);
  }

  function onSetattr(call: PyNode, s: Scope): void {
    const [target, name] = r.args(call).positional;
    if (!target) return;
    for (const v of r.eval(target, s).values()) {
      if (v.k === "dyn") add("write", [], call, "dynamic", v.reason);
      if (v.k !== "inst") continue;
      const fam = FAMILIES[v.fam];
      if (fam && fam.attrWrites.size > 0) add("write", [v.pv ?? r.strings(name, s)[0] ?? null], call, `${v.fam} setattr`);
    }
  }

  function onExec(call: PyNode, s: Scope, name: string): void {
    const arg = r.args(call).positional[0];
    const literal = arg ? r.literal(arg) : null;
    if (literal !== null) {
      out.push(...nested(literal, call));
      return;
    }
    const values = arg ? r.strings(arg, s) : [];
    if (values.length > 0) {
      for (const code of values) out.push(...nested(code, call));
      return;
    }
    add("write", [], call, "dynamic", `${name}() of a computed string could write to the control system`);
  }

  function onAttribute(n: PyNode, s: Scope): void {
    const obj = field(n, "object");
    const attrNode = field(n, "attribute");
    if (!obj || !attrNode) return;
    const attr = text(r.src, attrNode);
    const isTarget = isAssignTarget(n);
    const augmented = n.parent?.type === "augmented_assignment";
    const receiver = r.eval(obj, s);
    if (isTarget && attr === "value" && receiver.size === 0 && r.usesControl)
      add("write", [], n, "dynamic", `.value = on "${text(r.src, obj)}", an object of unknown type in code that uses a control-system client`);
    for (const v of receiver.values()) {
      if (v.k === "dyn" && isTarget) add("write", [], n, "dynamic", v.reason);
      if (v.k !== "inst" || attr.startsWith("_")) continue;
      const fam = FAMILIES[v.fam];
      if (!fam) continue;
      const pv = fam.attrPv === "self+attr" || v.fam === "ophyd.EpicsMotor" ? fieldPv(v.fam, v.pv, attr) : v.pv;
      const method = fam.writes.has(attr) || fam.reads.has(attr) || !!fam.children?.[attr];
      if (isTarget && (fam.attrWrites.has(attr) || fam.attrWrites.has("*"))) add("write", [v.fam === "ophyd.EpicsSignal" ? setpointPv(v) : pv], n, `${v.fam}.${attr} =`);
      if ((!isTarget || augmented) && !method && (fam.attrReads.has(attr) || fam.attrReads.has("*"))) add("read", [pv], n, `${v.fam}.${attr}`);
    }
  }
}

/**
 * Drops unnamed accesses at a node that also has named ones of the same kind: the fixpoint
 * creates an unnamed PV object while a parameter's string values are still arriving, and that
 * early guess would otherwise linger beside the resolved name.
 */
function withoutShadowedNulls(accesses: Access[]): Access[] {
  const named = new Set(accesses.filter((a) => a.pv !== null).map((a) => `${a.kind}|${a.node.id}`));
  return accesses.filter((a) => a.pv !== null || a.dynamic || !named.has(`${a.kind}|${a.node.id}`));
}

/** True when the node is passed to a call (positionally, by keyword, or inside a literal list / tuple there). */
function isArgument(n: PyNode): boolean {
  let cur = n;
  while (cur.parent && (cur.parent.type === "list" || cur.parent.type === "tuple")) cur = cur.parent;
  const p = cur.parent;
  return !!p && (p.type === "argument_list" || (p.type === "keyword_argument" && cur.field === "value"));
}

/** True when the node is (part of) the left side of an assignment. */
function isAssignTarget(n: PyNode): boolean {
  let cur = n;
  while (cur.parent && ["pattern_list", "tuple_pattern", "list_pattern", "tuple", "list", "parenthesized_expression"].includes(cur.parent.type)) cur = cur.parent;
  const p = cur.parent;
  return !!p && (p.type === "assignment" || p.type === "augmented_assignment") && cur.field === "left";
}

