import { OPHYD_EPICS_MOTOR_COMPONENTS, OPHYD_EPICS_MOTOR_PROPERTIES, pyepicsMotorBase, pyepicsMotorPv } from "./field-maps.js";
import type { Value } from "./values.js";

type Inst = Extract<Value, { k: "inst" }>;

/**
 * The name a library keeps for an object it was given `name` for: a pyepics `Device` keeps its
 * prefix with the delimiter (`Device("X:m1", delim=".")` → `X:m1.`), a pyepics `Motor` its record
 * name without `.VAL`; everything else the name as given.
 */
export function instanceName(fam: string, name: string, delim: string | null): string {
  if (fam === "epics.Device") return name + (delim ?? "");
  if (fam === "epics.Motor") return pyepicsMotorBase(name);
  return name;
}

/**
 * The PV of a field or attribute of an object, as the device knows it: pyepics Motor aliases
 * (`tweak_val` → `.TWV`), pyepics Device prefix + attribute, ophyd `EpicsMotor` components and the
 * properties that read them (`position` → `.RBV`), Tango `device/attribute`. Null when the object's
 * own name is not known.
 */
export function fieldPv(fam: string, own: string | null, attr: string): string | null {
  if (own === null) return null;
  switch (fam) {
    case "epics.Motor":
      return pyepicsMotorPv(own, attr);
    case "ophyd.EpicsMotor": {
      const component = OPHYD_EPICS_MOTOR_PROPERTIES[attr] ?? attr;
      const suffix = OPHYD_EPICS_MOTOR_COMPONENTS[component];
      return suffix ? own + suffix : own;
    }
    case "tango.DeviceProxy":
      return `${own}/${attr}`;
    case "epics.Device":
      return own + attr;
    default:
      return own;
  }
}

/** The PV a device's setpoint is written to when a plan or `set` moves it. */
export function setpointPv(v: Inst): string | null {
  if (v.fam === "ophyd.EpicsMotor") return fieldPv(v.fam, v.pv, "user_setpoint");
  if (v.fam === "epics.Motor") return fieldPv(v.fam, v.pv, "VAL");
  return v.wpv ?? v.pv;
}

/** The PV a device is read from (its readback). */
export function readbackPv(v: Inst): string | null {
  if (v.fam === "ophyd.EpicsMotor") return fieldPv(v.fam, v.pv, "user_readback");
  if (v.fam === "epics.Motor") return fieldPv(v.fam, v.pv, "RBV");
  return v.pv;
}

/** A component of an ophyd device reached as an attribute (`m.user_setpoint`), or null when the attribute is not a known component. */
export function ophydComponent(v: Inst, attr: string): Inst | null {
  if (v.fam === "ophyd.EpicsMotor") {
    const suffix = OPHYD_EPICS_MOTOR_COMPONENTS[attr];
    return suffix ? { k: "inst", fam: "ophyd.EpicsSignal", pv: v.pv === null ? null : v.pv + suffix } : null;
  }
  if (v.fam === "ophyd") return { k: "inst", fam: "ophyd", pv: null };
  return null;
}
