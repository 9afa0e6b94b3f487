import { createHash } from "node:crypto";
import { type Clock, type RedisKeys, systemClock } from "@pyfleet/core";
import type { Redis, Result } from "ioredis";
import { defineScripts } from "../redis/define-scripts.js";

declare module "ioredis" {
  interface RedisCommander<Context> {
    /** KEYS stream, head; ARGV prev, type, at, data JSON, hash. The entry id, or null when the head moved. */
    pyfleetAuditAppend(stream: string, head: string, prev: string, type: string, at: string, data: string, hash: string): Result<string | null, Context>;
  }
}

/** Kinds of audit entries. */
export type AuditType =
  | "approval.requested"
  | "approval.decision"
  | "approval.released"
  | "approval.expired"
  | "approval.cancelled"
  | "signature.checked"
  | "write.started"
  | "write.finished"
  | "write.duplicate_refused"
  | "write.refused_unapproved_pv"
  | "write.requeued"
  | "run.reconciled";

/** One entry of the append-only audit stream, hash-chained to the previous one. */
export interface AuditEntry {
  id: string;
  type: AuditType;
  at: string;
  data: Record<string, unknown>;
  /** sha256 of the previous entry ("" for the first one). */
  prev: string;
  /** sha256 over prev, type, at and data. */
  hash: string;
}

/** Result of walking the chain: ok, or the first broken link. */
export type AuditVerification =
  | { ok: true; entries: number }
  | { ok: false; entries: number; brokenAt: string; reason: string };

const GENESIS = "";
const MAX_APPEND_RETRIES = 50;
const APPEND_SCRIPT = `
local head = redis.call('GET', KEYS[2]) or ''
if head ~= ARGV[1] then return false end
local id = redis.call('XADD', KEYS[1], '*', 'type', ARGV[2], 'at', ARGV[3], 'data', ARGV[4], 'prev', ARGV[1], 'hash', ARGV[5])
redis.call('SET', KEYS[2], ARGV[5])
return id`;

/** sha256 of an entry's content, linked to the previous hash. */
export function auditHash(prev: string, type: string, at: string, dataJson: string): string {
  return createHash("sha256").update(`${prev}\n${type}\n${at}\n${dataJson}`, "utf8").digest("hex");
}

/**
 * Append-only audit trail in a Redis stream (`<prefix>:audit`). Every entry carries the sha256
 * of the previous one, so deleting or editing an entry breaks the chain at that point.
 * Appends are compare-and-set on the head hash (Lua); concurrent writers retry.
 */
export class AuditLog {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly clock: Clock = systemClock,
  ) {
    defineScripts(redis, { pyfleetAuditAppend: { numberOfKeys: 2, lua: APPEND_SCRIPT } });
  }

  /** Appends an entry and returns it. */
  async append(type: AuditType, data: Record<string, unknown>): Promise<AuditEntry> {
    const dataJson = JSON.stringify(data);
    for (let i = 0; i < MAX_APPEND_RETRIES; i++) {
      const prev = (await this.redis.get(this.keys.auditHead())) ?? GENESIS;
      const at = this.clock.now().toISOString();
      const hash = auditHash(prev, type, at, dataJson);
      // Compare-and-append in one script: the entry is only added if the head is still `prev`,
      // so concurrent writers (any process) can never fork the chain.
      const id = await this.redis.pyfleetAuditAppend(this.keys.audit(), this.keys.auditHead(), prev, type, at, dataJson, hash);
      if (id) return { id, type, at, data, prev, hash };
    }
    throw new Error(`audit append failed after ${MAX_APPEND_RETRIES} concurrent retries`);
  }

  /** The last `count` entries, oldest first. */
  async tail(count = 20): Promise<AuditEntry[]> {
    const rows = await this.redis.xrevrange(this.keys.audit(), "+", "-", "COUNT", count);
    return rows.map(([id, f]) => decode(id, f)).reverse();
  }

  /** Entries after stream id `after` (exclusive), oldest first. */
  async range(after = "-", count = 1000): Promise<AuditEntry[]> {
    const start = after === "-" ? "-" : `(${after}`;
    const rows = await this.redis.xrange(this.keys.audit(), start, "+", "COUNT", count);
    return rows.map(([id, f]) => decode(id, f));
  }

  private async rawRange(after: string, count: number): Promise<Array<{ entry: AuditEntry; dataJson: string }>> {
    const start = after === "-" ? "-" : `(${after}`;
    const rows = await this.redis.xrange(this.keys.audit(), start, "+", "COUNT", count);
    return rows.map(([id, f]) => ({ entry: decode(id, f), dataJson: field(f, "data") ?? "" }));
  }

  /** Walks the whole chain and reports the first broken link. */
  async verify(): Promise<AuditVerification> {
    let prev = GENESIS;
    let after = "-";
    let n = 0;
    for (;;) {
      const batch = await this.rawRange(after, 1000);
      if (batch.length === 0) break;
      for (const { entry: e, dataJson } of batch) {
        n++;
        if (e.prev !== prev) {
          return { ok: false, entries: n, brokenAt: e.id, reason: `entry ${e.id} does not link to the previous entry (an entry was removed or reordered)` };
        }
        const expected = auditHash(e.prev, e.type, e.at, dataJson);
        if (expected !== e.hash) {
          return { ok: false, entries: n, brokenAt: e.id, reason: `entry ${e.id} was modified (its hash does not match its content)` };
        }
        prev = e.hash;
        after = e.id;
      }
    }
    const head = (await this.redis.get(this.keys.auditHead())) ?? GENESIS;
    if (head !== prev) {
      return { ok: false, entries: n, brokenAt: after, reason: "the last entries were removed (the head hash does not match the last entry)" };
    }
    return { ok: true, entries: n };
  }
}

function field(fields: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

function decode(id: string, fields: string[]): AuditEntry {
  const m = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) m.set(fields[i] as string, fields[i + 1] as string);
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(m.get("data") ?? "{}") as Record<string, unknown>;
  } catch {
    data = { unparseable: m.get("data") };
  }
  return {
    id,
    type: (m.get("type") ?? "") as AuditType,
    at: m.get("at") ?? "",
    data,
    prev: m.get("prev") ?? "",
    hash: m.get("hash") ?? "",
  };
}
