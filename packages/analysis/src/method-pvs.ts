import type { AccessKind } from "./catalog.js";
import { fieldPv, setpointPv } from "./device-names.js";
import type { Detection } from "./detection.js";
import { field, type PyNode } from "./py-node.js";
import type { Scope } from "./scopes.js";

/** A method call on a control object: the family, the object's own name and the call. */
interface MethodCall {
  d: Detection;
  fam: string;
  own: string | null;
  kind: AccessKind;
  call: PyNode;
  s: Scope;
}

/** PV names one method of a family touches. */
type MethodPvs = (m: MethodCall) => Array<string | null>;

const pvOf = (m: MethodCall, f: string | null) => (f === null ? null : fieldPv(m.fam, m.own, f));
const ownPv: MethodPvs = (m) => [m.own];

/** The field names a `get` / `put` / callback call names (first argument or `attr=`), or one unknown. */
function attrNames(m: MethodCall): Array<string | null> {
  const args = m.d.r.args(m.call);
  const names = m.d.r.strings(args.positional[0] ?? args.keywords.get("attr"), m.s);
  return names.length > 0 ? names : [null];
}

const isTrue = (m: MethodCall, name: string) => m.d.keyword(m.call, name) === "True";
const dial = (m: MethodCall) => isTrue(m, "dial");
/** The field a pyepics Motor drives: user, dial or raw (step) value. */
const drive = (m: MethodCall) => (dial(m) ? "DVAL" : isTrue(m, "step") || isTrue(m, "raw") ? "RVAL" : "VAL");
const fieldsOf = (m: MethodCall) => attrNames(m).map((f) => pvOf(m, f));

/** pyepics `Motor` methods, with the record fields the library reads or writes for each. */
const EPICS_MOTOR: ReadonlyMap<string, MethodPvs> = new Map<string, MethodPvs>([
  ["move", (m) => [pvOf(m, drive(m))]],
  ["put", fieldsOf],
  ["get", fieldsOf],
  ["add_callback", fieldsOf],
  ["set_callback", (m) => (m.d.r.args(m.call).positional[0] || m.d.r.args(m.call).keywords.has("attr") ? fieldsOf(m) : [pvOf(m, "VAL")])],
  ["tweak", (m) => [pvOf(m, /^rev/.test(m.d.keyword(m.call, "direction", 0) ?? "") ? "TWR" : "TWF")]],
  ["set_position", (m) => [pvOf(m, "SET"), pvOf(m, drive(m))]],
  ["stop", (m) => [pvOf(m, "STOP")]],
  ["StopNow", (m) => [pvOf(m, "STOP")]],
  [
    "get_position",
    (m) => {
      const raw = isTrue(m, "step") || isTrue(m, "raw");
      return [pvOf(m, m.d.keyword(m.call, "readback", 1) === "True" ? (dial(m) ? "DRBV" : raw ? "RRBV" : "RBV") : drive(m))];
    },
  ],
  ["check_limits", (m) => [pvOf(m, "LVIO"), pvOf(m, "HLS"), pvOf(m, "LLS")]],
  ["within_limits", (m) => (dial(m) ? [pvOf(m, "DHLM"), pvOf(m, "DLLM")] : [pvOf(m, "HLM"), pvOf(m, "LLM")])],
]);

/** ophyd `EpicsMotor` methods, with the components each one touches. */
const OPHYD_MOTOR: ReadonlyMap<string, MethodPvs> = new Map<string, MethodPvs>([
  ["move", (m) => [pvOf(m, "user_setpoint")]],
  ["set", (m) => [pvOf(m, "user_setpoint")]],
  ["stop", (m) => [pvOf(m, "motor_stop")]],
  ["set_current_position", (m) => [pvOf(m, "set_use_switch"), pvOf(m, "user_setpoint")]],
  [
    "home",
    (m) => {
      const dir = m.d.keyword(m.call, "direction", 0) ?? "";
      return /rev/.test(dir) ? [pvOf(m, "home_reverse")] : /forw/.test(dir) ? [pvOf(m, "home_forward")] : [pvOf(m, "home_forward"), pvOf(m, "home_reverse")];
    },
  ],
  ["read", (m) => [pvOf(m, "user_readback")]],
  ["get", (m) => [pvOf(m, "user_readback")]],
]);

/** Families whose methods each touch known fields; any other method touches the object's own PV. */
const BY_METHOD: ReadonlyMap<string, ReadonlyMap<string, MethodPvs>> = new Map([
  ["epics.Motor", EPICS_MOTOR],
  ["ophyd.EpicsMotor", OPHYD_MOTOR],
]);

/** The write PV of the ophyd signal a method is called on (`EpicsSignal(read_pv, write_pv=...)`). */
function wpvOf(d: Detection, call: PyNode, s: Scope): string | null {
  const fn = field(call, "function");
  const obj = fn?.type === "attribute" ? field(fn, "object") : undefined;
  if (!obj) return null;
  for (const v of d.r.eval(obj, s).values()) if (v.k === "inst" && v.fam === "ophyd.EpicsSignal" && v.wpv) return v.wpv;
  return null;
}

/**
 * PV names of a method call on a control object, as the device knows them (pyepics Motor
 * fields through the library's alias map, ophyd EpicsMotor components, Device prefix + field).
 */
export function methodPvs(d: Detection, fam: string, name: string, own: string | null, kind: AccessKind, call: PyNode, s: Scope): Array<string | null> {
  const table = BY_METHOD.get(fam);
  if (table) return (table.get(name) ?? ownPv)({ d, fam, own, kind, call, s });
  if (fam === "ophyd.EpicsSignal") return kind === "write" ? [setpointPv({ k: "inst", fam, pv: own, wpv: wpvOf(d, call, s) })] : [own];
  if (fam === "tango.DeviceProxy" && own !== null && /^[A-Z]/.test(name)) return [`${own}/${name}`];
  if (own === null) return d.pvFor({ kind, pv: "arg0" }, call, s, own, fam);
  if (fam === "tango.DeviceProxy" || fam === "epics.Device") return d.pvFor({ kind, pv: "self+arg0" }, call, s, own, fam);
  return [own];
}
