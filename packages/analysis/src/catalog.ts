/**
 * What the analyzer knows about control-system client libraries: which qualified functions
 * read or write, which classes create PV / device objects, and what their methods do.
 * Qualified names are the import paths (`epics.caput`, `tango.DeviceProxy`), after aliases
 * are resolved, so `from epics import caput as c; c(...)` lands on `epics.caput`.
 */

import { OPHYD_EPICS_MOTOR_PROPERTIES } from "./field-maps.js";

export type AccessKind = "write" | "read";

/**
 * Where the PV / channel name of an access comes from: a name argument, the object itself, a field
 * of the object, a pyepics channel id (`chid0`, `chid1`: the argument made by `ca.create_channel`), or nowhere.
 */
export type PvSource = "arg0" | "self" | "self+arg0" | "chid0" | "chid1" | "none";

export interface AccessSpec {
  kind: AccessKind;
  pv: PvSource;
}

/** Top-level functions that access the control system directly. */
export const FUNCTIONS: Record<string, AccessSpec> = {
  "epics.caput": { kind: "write", pv: "arg0" },
  "epics.ca.caput": { kind: "write", pv: "arg0" },
  "epics.ca.put": { kind: "write", pv: "chid0" },
  "epics.ca.sg_put": { kind: "write", pv: "chid1" },
  "epics.caput_many": { kind: "write", pv: "arg0" },
  "epics.autosave.restore_pvs": { kind: "write", pv: "none" },
  "epics.autosave.save_restore.restore_pvs": { kind: "write", pv: "none" },
  "epics.caget": { kind: "read", pv: "arg0" },
  "epics.ca.caget": { kind: "read", pv: "arg0" },
  "epics.ca.get": { kind: "read", pv: "chid0" },
  "epics.ca.sg_get": { kind: "read", pv: "chid1" },
  "epics.caget_many": { kind: "read", pv: "arg0" },
  "epics.cainfo": { kind: "read", pv: "arg0" },
  "epics.camonitor": { kind: "read", pv: "arg0" },
  "epics.Alarm": { kind: "read", pv: "arg0" },
  "epics.alarm.Alarm": { kind: "read", pv: "arg0" },
  "epics.autosave.save_pvs": { kind: "read", pv: "none" },
  "epics.autosave.save_restore.save_pvs": { kind: "read", pv: "none" },
  "caproto.sync.client.write": { kind: "write", pv: "arg0" },
  "caproto.sync.client.read": { kind: "read", pv: "arg0" },
  "caproto.sync.client.subscribe": { kind: "read", pv: "arg0" },
  ...Object.fromEntries(
    ["caproto.threading.pyepics_compat", "caproto.pyepics_compat"].flatMap((m) => [
      [`${m}.caput`, { kind: "write", pv: "arg0" }],
      [`${m}.caput_many`, { kind: "write", pv: "arg0" }],
      [`${m}.caget`, { kind: "read", pv: "arg0" }],
      [`${m}.caget_many`, { kind: "read", pv: "arg0" }],
      [`${m}.cainfo`, { kind: "read", pv: "arg0" }],
    ]),
  ),
};

/**
 * bluesky plans and plan stubs. A plan that moves a settable device writes that device's setpoint;
 * the devices it reads (detectors, and the motors a scan moves) are reads. `moves`: which
 * positional arguments are moved devices (`all`: every device argument; `after0`: every device
 * after the detector list); `reads`: the detector list (`arg0`), or the device arguments (`args`).
 */
export interface PlanSpec {
  moves?: "all" | "after0";
  reads?: "arg0" | "args";
}

const SCANS = ["scan", "rel_scan", "list_scan", "rel_list_scan", "grid_scan", "rel_grid_scan", "list_grid_scan", "rel_list_grid_scan", "log_scan", "rel_log_scan", "scan_nd", "inner_product_scan", "relative_inner_product_scan", "spiral", "rel_spiral", "spiral_fermat", "rel_spiral_fermat", "spiral_square", "rel_spiral_square", "adaptive_scan", "rel_adaptive_scan", "tune_centroid", "tweak", "x2x_scan"];

export const PLANS: Record<string, PlanSpec> = {
  ...Object.fromEntries(SCANS.map((p) => [`bluesky.plans.${p}`, { moves: "after0", reads: "arg0" }])),
  "bluesky.plans.count": { reads: "arg0" },
  "bluesky.plan_stubs.mv": { moves: "all" },
  "bluesky.plan_stubs.mvr": { moves: "all" },
  "bluesky.plan_stubs.abs_set": { moves: "all" },
  "bluesky.plan_stubs.rel_set": { moves: "all" },
  "bluesky.plan_stubs.read": { reads: "args" },
  "bluesky.plan_stubs.rd": { reads: "args" },
  "bluesky.plan_stubs.locate": { reads: "args" },
  "bluesky.plan_stubs.monitor": { reads: "args" },
  "bluesky.plan_stubs.trigger_and_read": { reads: "arg0" },
  "bluesky.plan_stubs.one_shot": { reads: "arg0" },
};

/**
 * Calls that serve PVs on the control network (an IOC or PV server started from user code): such
 * a process can shadow real PVs, so it is treated like a write (approval; refused when writes are
 * disabled) and reported with a finding of its own. `names`: where literal PV names are found.
 */
export const SERVERS: Record<string, { names: "providers" | "arg0" | "arg1-keys" | "none" }> = {
  "p4p.server.Server": { names: "providers" },
  "p4p.server.Server.forever": { names: "providers" },
  "p4p.server.StaticProvider": { names: "none" },
  "caproto.server.run": { names: "none" },
  "caproto.asyncio.server.run": { names: "none" },
  "caproto.asyncio.server.start_server": { names: "none" },
  "caproto.curio.server.run": { names: "none" },
  "caproto.curio.server.start_server": { names: "none" },
  "caproto.trio.server.run": { names: "none" },
  "caproto.trio.server.start_server": { names: "none" },
  "caproto.threading.server.run": { names: "none" },
  "pcaspy.SimpleServer": { names: "none" },
  "pcaspy.driver.SimpleServer": { names: "none" },
  "pvaccess.PvaServer": { names: "arg0" },
  "softioc.softioc.iocInit": { names: "none" },
  "softioc.softioc.interactive_ioc": { names: "none" },
  "softioc.builder.LoadDatabase": { names: "none" },
};

/** The original system's helpers, matched on the last name segment wherever they come from. */
export const HELPERS: Record<string, AccessSpec> = {
  write_channel: { kind: "write", pv: "arg0" },
  write_channels: { kind: "write", pv: "arg0" },
  read_channel: { kind: "read", pv: "arg0" },
  read_channels: { kind: "read", pv: "arg0" },
};

/**
 * Qualified constructor / factory → family of the object it returns. A Map: the resolver asks it
 * about every qualified name it calls, and a miss on a plain object is a slow keyed load through
 * its prototype (which also answered names such as `toString`).
 */
const CONSTRUCTORS: ReadonlyMap<string, string> = new Map(
  Object.entries({
  "epics.PV": "epics.PV",
  "epics.pv.PV": "epics.PV",
  "epics.get_pv": "epics.PV",
  "epics.pv.get_pv": "epics.PV",
  "epics.Device": "epics.Device",
  "epics.device.Device": "epics.Device",
  "epics.Motor": "epics.Motor",
  "epics.motor.Motor": "epics.Motor",
  "epics.ca.create_channel": "epics.chid",
  "caproto.threading.pyepics_compat.get_pv": "epics.PV",
  "caproto.pyepics_compat.PV": "epics.PV",
  "caproto.pyepics_compat.get_pv": "epics.PV",
  "ophyd.EpicsMotor": "ophyd.EpicsMotor",
  "ophyd.epics_motor.EpicsMotor": "ophyd.EpicsMotor",
  "ophyd.EpicsSignal": "ophyd.EpicsSignal",
  "ophyd.EpicsSignalRO": "ophyd.EpicsSignal",
  "ophyd.signal.EpicsSignal": "ophyd.EpicsSignal",
  "ophyd.signal.EpicsSignalRO": "ophyd.EpicsSignal",
  "p4p.server.thread.SharedPV": "p4p.SharedPV",
  "p4p.server.asyncio.SharedPV": "p4p.SharedPV",
  "p4p.server.cothread.SharedPV": "p4p.SharedPV",
  "p4p.server.raw.SharedPV": "p4p.SharedPV",
  "caproto.threading.client.Context": "caproto.Context",
  "caproto.asyncio.client.Context": "caproto.Context",
  "caproto.threading.pyepics_compat.PV": "epics.PV",
  "p4p.client.thread.Context": "p4p.Context",
  "p4p.client.asyncio.Context": "p4p.Context",
  "p4p.client.cothread.Context": "p4p.Context",
  "tango.DeviceProxy": "tango.DeviceProxy",
  "PyTango.DeviceProxy": "tango.DeviceProxy",
  "tango.AttributeProxy": "tango.AttributeProxy",
  "PyTango.AttributeProxy": "tango.AttributeProxy",
  "pvaccess.Channel": "pvaccess.Channel",
  }),
);

/** Families whose constructor argument is not a PV name (client contexts take a provider name). */
export const UNNAMED_FAMILIES: ReadonlySet<string> = new Set(["caproto.Context", "p4p.Context", "p4p.SharedPV"]);

/** Family of the object a qualified constructor creates, or null when it is not one. */
export function constructorFamily(q: string): string | null {
  const known = CONSTRUCTORS.get(q);
  if (known) return known;
  const last = q.slice(q.lastIndexOf(".") + 1);
  const first = last.charCodeAt(0);
  if (!(first >= 65 && first <= 90)) return null; // A-Z: a class name
  if (q.startsWith("ophyd.")) return "ophyd";
  // Other classes of these clients (epics.devices.Scaler, tango.Group, ...) are treated like their
  // most permissive known relative, so their methods and attribute writes are not missed.
  if (q.startsWith("epics.")) return "epics.Device";
  if (q.startsWith("tango.") || q.startsWith("PyTango.")) return "tango.DeviceProxy";
  return null;
}

/** Behaviour of one object family. */
export interface FamilySpec {
  writes: ReadonlySet<string>;
  reads: ReadonlySet<string>;
  /** Methods returning new control objects: method → family of the returned objects (one per name argument). */
  factories?: Record<string, string>;
  /** What calling an unlisted method means (Tango exposes device commands as methods). */
  otherMethods?: AccessKind;
  /** Unlisted methods with these prefixes read (checked before `otherMethods`). */
  readPrefixes?: readonly string[];
  /** Attribute names whose assignment writes (`*` = any public attribute). */
  attrWrites: ReadonlySet<string>;
  /** Attribute names whose plain read is a control-system read (`*` = any public attribute). */
  attrReads: ReadonlySet<string>;
  /** Attribute access yields a sub-object of the same family (ophyd components). */
  components?: boolean;
  /** How the PV name of an attribute access is formed from the object's name. */
  attrPv: "self" | "self+attr";
  /** Methods returning one control object for a field (`dev.PV("VAL")`): method → family of the returned object. */
  children?: Record<string, string>;
  /** Methods that serve PVs (p4p `SharedPV.post`): treated like writes, with a finding of their own. */
  serves?: ReadonlySet<string>;
}

const set = (...names: string[]): ReadonlySet<string> => new Set(names);

const OPHYD: FamilySpec = {
  writes: set("set", "put", "move", "trigger", "stage", "unstage", "kickoff", "stop", "set_current_position", "configure"),
  reads: set("get", "read", "describe", "read_configuration"),
  attrWrites: set("value"),
  attrReads: set(),
  components: true,
  attrPv: "self",
};

export const FAMILIES: Record<string, FamilySpec> = {
  "epics.PV": {
    writes: set("put"),
    reads: set("get", "get_with_metadata", "get_ctrlvars", "get_timevars", "get_info", "add_callback", "run_callbacks"),
    attrWrites: set("value"),
    attrReads: set("value", "char_value"),
    attrPv: "self",
  },
  "epics.chid": {
    writes: set(),
    reads: set(),
    attrWrites: set(),
    attrReads: set(),
    attrPv: "self",
  },
  "epics.Device": {
    writes: set("put", "restore_state"),
    reads: set("get", "get_all", "save_state", "add_callback", "write_state"),
    children: { PV: "epics.PV", add_pv: "epics.PV" },
    attrWrites: set("*"),
    attrReads: set("*"),
    attrPv: "self+attr",
  },
  "epics.Motor": {
    writes: set("move", "put", "tweak", "set_position", "stop", "StopNow"),
    reads: set("get", "get_position", "check_limits", "within_limits", "set_callback", "add_callback", "get_info", "show_info", "show_all", "refresh"),
    children: { PV: "epics.PV", get_pv: "epics.PV" },
    attrWrites: set("*"),
    attrReads: set("*"),
    attrPv: "self+attr",
  },
  "caproto.Context": {
    writes: set(),
    // caproto.asyncio's Context.monitor(*pv_names) yields subscription events
    reads: set("monitor"),
    factories: { get_pvs: "caproto.PV" },
    attrWrites: set(),
    attrReads: set(),
    attrPv: "self",
  },
  "caproto.PV": {
    writes: set("write"),
    reads: set("read", "subscribe"),
    attrWrites: set(),
    attrReads: set(),
    attrPv: "self",
  },
  "p4p.Context": {
    writes: set("put", "rpc"),
    reads: set("get", "monitor"),
    attrWrites: set(),
    attrReads: set(),
    attrPv: "self",
  },
  "tango.DeviceProxy": {
    writes: set(
      "write_attribute",
      "write_attributes",
      "write_attribute_asynch",
      "write_attributes_asynch",
      "write_read_attribute",
      "write_read_attributes",
      "command_inout",
      "command_inout_asynch",
      "put_property",
      "write_pipe",
    ),
    reads: set(
      "read_attribute",
      "read_attributes",
      "read_attribute_asynch",
      "read_attributes_asynch",
      "read_pipe",
      "state",
      "status",
      "ping",
      "info",
      "name",
      "dev_name",
      "description",
      "attribute_query",
      "command_query",
      "get_property",
      "get_attribute_list",
      "get_command_list",
    ),
    otherMethods: "write",
    readPrefixes: ["get_", "read_", "is_", "subscribe_", "unsubscribe_", "attribute_", "command_list", "State", "Status"],
    attrWrites: set("*"),
    attrReads: set("*"),
    attrPv: "self+attr",
  },
  "tango.AttributeProxy": {
    writes: set("write", "write_asynch", "write_read"),
    reads: set("read", "read_asynch", "history"),
    attrWrites: set(),
    attrReads: set(),
    attrPv: "self",
  },
  "pvaccess.Channel": {
    writes: set("put", "putInt", "putFloat", "putDouble", "putString", "putBoolean", "putLong"),
    reads: set("get", "monitor", "subscribe"),
    attrWrites: set(),
    attrReads: set(),
    attrPv: "self",
  },
  ophyd: OPHYD,
  "ophyd.EpicsMotor": { ...OPHYD, writes: set(...OPHYD.writes, "home"), attrReads: set(...Object.keys(OPHYD_EPICS_MOTOR_PROPERTIES)) },
  "ophyd.EpicsSignal": { ...OPHYD, reads: set(...OPHYD.reads, "subscribe"), attrReads: set("value"), components: false },
  "p4p.SharedPV": {
    writes: set(),
    reads: set(),
    serves: set("open", "post"),
    attrWrites: set(),
    attrReads: set(),
    attrPv: "self",
  },
};

/** Method names that mean a control-system access even on an object the analyzer cannot type. */
export const UNMISTAKABLE_METHODS: Record<string, AccessSpec> = {
  ...HELPERS,
  caput: { kind: "write", pv: "arg0" },
  caget: { kind: "read", pv: "arg0" },
  write_attribute: { kind: "write", pv: "arg0" },
  write_attributes: { kind: "write", pv: "arg0" },
  write_attribute_asynch: { kind: "write", pv: "arg0" },
  write_read_attribute: { kind: "write", pv: "arg0" },
  command_inout: { kind: "write", pv: "arg0" },
};

/** Top-level modules of control-system clients (imports of these are control-system use). */
export const CONTROL_MODULES: ReadonlySet<string> = new Set([
  "epics",
  "pcaspy",
  "softioc",
  "caproto",
  "p4p",
  "tango",
  "PyTango",
  "ophyd",
  "pvaccess",
  "bluesky",
]);

/** True when a qualified name lies inside a control-system client module. */
export function isControlQual(q: string): boolean {
  const dot = q.indexOf(".");
  return CONTROL_MODULES.has(dot < 0 ? q : q.slice(0, dot));
}
