/**
 * PV names as the device knows them, from the libraries' own field maps: pyepics `Motor._alias`
 * (epics/motor.py, pyepics 3.5) and ophyd `EpicsMotor`'s components (ophyd/epics_motor.py), so an
 * approver sees `XXX:m1.TWV` for `m.tweak_val = 0.05`, never an attribute name glued to a prefix.
 */

/** pyepics `Motor._alias`: attribute name → motor record field. */
export const PYEPICS_MOTOR_ALIASES: Readonly<Record<string, string>> = {
  acceleration: "ACCL", back_accel: "BACC", backlash: "BDST", back_speed: "BVEL", card: "CARD", dial_high_limit: "DHLM",
  direction: "DIR", dial_low_limit: "DLLM", settle_time: "DLY", done_moving: "DMOV", dial_readback: "DRBV", description: "DESC",
  dial_drive: "DVAL", units: "EGU", encoder_step: "ERES", freeze_offset: "FOFF", move_fraction: "FRAC", hi_severity: "HHSV",
  hi_alarm: "HIGH", hihi_alarm: "HIHI", high_limit: "HLM", high_limit_set: "HLS", hw_limit: "HLSV", home_forward: "HOMF",
  home_reverse: "HOMR", high_op_range: "HOPR", high_severity: "HSV", integral_gain: "ICOF", jog_accel: "JAR", jog_forward: "JOGF",
  jog_reverse: "JOGR", jog_speed: "JVEL", last_dial_val: "LDVL", low_limit: "LLM", low_limit_set: "LLS", lo_severity: "LLSV",
  lolo_alarm: "LOLO", low_op_range: "LOPR", low_alarm: "LOW", last_rel_val: "LRLV", last_dial_drive: "LRVL", last_SPMG: "LSPG",
  low_severity: "LSV", last_drive: "LVAL", soft_limit: "LVIO", in_progress: "MIP", missed: "MISS", moving: "MOVN", resolution: "MRES",
  motor_status: "MSTA", offset: "OFF", output_mode: "OMSL", output: "OUT", prop_gain: "PCOF", precision: "PREC", readback: "RBV",
  retry_max: "RTRY", retry_count: "RCNT", retry_deadband: "RDBD", dial_difference: "RDIF", raw_encoder_pos: "REP",
  raw_high_limit: "RHLS", raw_low_limit: "RLLS", relative_value: "RLV", raw_motor_pos: "RMP", raw_readback: "RRBV",
  readback_res: "RRES", raw_drive: "RVAL", dial_speed: "RVEL", s_speed: "S", s_back_speed: "SBAK", s_base_speed: "SBAS",
  s_max_speed: "SMAX", set: "SET", stop_go: "SPMG", s_revolutions: "SREV", stop_command: "STOP", t_direction: "TDIR",
  tweak_forward: "TWF", tweak_reverse: "TWR", tweak_val: "TWV", use_encoder: "UEIP", u_revolutions: "UREV", use_rdbl: "URIP",
  drive: "VAL", base_speed: "VBAS", slew_speed: "VELO", version: "VERS", max_speed: "VMAX", use_home: "ATHM", deriv_gain: "DCOF",
  use_torque: "CNEN", device_type: "DTYP", record_type: "RTYP", status: "STAT",
};

/** pyepics `Motor._extras`: attributes on a PV beside the record (name + suffix, no `.`). */
const PYEPICS_MOTOR_EXTRAS: Readonly<Record<string, string>> = { disabled: "_able.VAL" };

/** The base name pyepics keeps for a motor: `Motor("X:m1.VAL")` and `Motor("X:m1.")` both mean `X:m1`. */
export function pyepicsMotorBase(name: string): string {
  const noVal = name.endsWith(".VAL") ? name.slice(0, -4) : name;
  return noVal.endsWith(".") ? noVal.slice(0, -1) : noVal;
}

/** PV of a pyepics motor attribute or field (`drive`, `VAL`, `tweak_val`, `disabled`). */
export function pyepicsMotorPv(base: string, attr: string): string {
  const extra = PYEPICS_MOTOR_EXTRAS[attr];
  return extra ? `${base}${extra}` : `${base}.${PYEPICS_MOTOR_ALIASES[attr] ?? attr}`;
}

/** ophyd `EpicsMotor` components: attribute → suffix of the motor prefix. */
export const OPHYD_EPICS_MOTOR_COMPONENTS: Readonly<Record<string, string>> = {
  user_readback: ".RBV", user_setpoint: ".VAL", user_offset: ".OFF", user_offset_dir: ".DIR", offset_freeze_switch: ".FOFF",
  set_use_switch: ".SET", velocity: ".VELO", acceleration: ".ACCL", motor_egu: ".EGU", motor_is_moving: ".MOVN",
  motor_done_move: ".DMOV", high_limit_switch: ".HLS", low_limit_switch: ".LLS", high_limit_travel: ".HLM",
  low_limit_travel: ".LLM", direction_of_travel: ".TDIR", motor_stop: ".STOP", home_forward: ".HOMF", home_reverse: ".HOMR",
};

/** Properties of `EpicsMotor` that read a component: property → component. */
export const OPHYD_EPICS_MOTOR_PROPERTIES: Readonly<Record<string, string>> = {
  position: "user_readback",
  moving: "motor_done_move",
  egu: "motor_egu",
  limits: "user_setpoint",
  precision: "user_setpoint",
};
