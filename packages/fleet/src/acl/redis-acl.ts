import { createHash } from "node:crypto";
import { RedisKeys } from "@pyfleet/core";

/** The Redis users of a fleet, one per role (least privilege, ARCHITECTURE §6). */
export const REDIS_ROLES = ["producer", "worker", "executor-write", "approver"] as const;
export type RedisRole = (typeof REDIS_ROLES)[number];

/**
 * Commands every role gets: everything a client library needs (BullMQ's scripts, INFO for its
 * version check, CLIENT SETNAME), nothing that administers or wipes the server.
 */
const COMMANDS = "+@all -@admin -@dangerous +info +client|setname +client|getname +client|id +client|info";

/**
 * ACL rules per role for the fleet under `prefix` (key patterns and commands, without the user
 * name and password). What each role may write:
 *   - producer: run records, events, the runs index, threads, queues and checkpoints; approvals,
 *     the audit stream and execution markers read-only (it can never approve or forge history);
 *   - worker (generate, analyze, read-only execute): as the producer, plus creating approval
 *     records and appending to the audit stream; no execution markers;
 *   - executor-write: as worker, plus execution markers and the write slots;
 *   - approver: approvals, audit, and the run/queue/checkpoint keys it needs to resume a run;
 *     no execution markers.
 * A role reads everything under the prefix and nothing outside it.
 */
export function redisAclRules(prefix: string): Record<RedisRole, string> {
  const k = new RedisKeys(prefix);
  const runs = [`~${k.run("*")}`, `~${k.runsIndex()}`, `~${k.runChanges()}`, `~${k.threadRun("*")}`, `~${k.bullPrefix}:*`, `~${k.checkpointPrefix}*`];
  const approvals = [`~${k.approval("*")}`, `~${k.approvalsAll()}`, `~${k.approvalsPending()}`];
  const audit = [`~${k.audit()}`, `~${k.auditHead()}`];
  const exec = [`~${k.execMarker("*", 0).replace(/:0$/, ":*")}`, `~${k.writeSlots()}`];
  const readAll = `%R~${prefix}:*`;
  const channels = `&${prefix}:*`;
  const rule = (...keys: string[]) => ["resetkeys", ...keys, readAll, "resetchannels", channels, COMMANDS].join(" ");
  return {
    producer: rule(...runs),
    worker: rule(...runs, ...approvals, ...audit),
    "executor-write": rule(...runs, ...approvals, ...audit, ...exec),
    approver: rule(...runs, ...approvals, ...audit),
  };
}

/**
 * A Redis ACL file (`--aclfile`) with one user per role under `prefix`; passwords are stored as
 * their sha256 (`#<hex>`), and the `default` user is switched off.
 */
export function redisAclFile(prefix: string, passwords: Record<RedisRole, string>): string {
  const rules = redisAclRules(prefix);
  const lines = REDIS_ROLES.map((role) => `user ${role} on #${createHash("sha256").update(passwords[role]).digest("hex")} ${rules[role]}`);
  return `${["user default off", ...lines].join("\n")}\n`;
}

/** `redis://<role>:<password>@host:port/db` from a plain Redis URL. */
export function redisUrlFor(url: string, role: RedisRole, password: string): string {
  const u = new URL(url);
  u.username = role;
  u.password = password;
  return u.toString();
}
