/**
 * The write manifest (ARCHITECTURE §9): what a write run will change, learnt from a dry run on the
 * read-only side before a human is asked, shown to the approver, bound into the signed decision
 * (its PV set and hash) and enforced at execute time as a {@link WritePolicy}.
 */
import { createHash } from "node:crypto";
import { z } from "zod";

/** Limits of a PV: DRVL/DRVH when the IOC sets them, else LOPR/HOPR. */
export const PvLimitsSchema = z.object({
  low: z.number().nullable(),
  high: z.number().nullable(),
  source: z.string(),
});
export type PvLimits = z.infer<typeof PvLimitsSchema>;

/** One PV the dry run wrote to: the last proposed value, what it is now, units and limits. */
export const ManifestEntrySchema = z.object({
  pv: z.string(),
  /** The last value the code wrote to the PV in the dry run. */
  proposed: z.unknown(),
  /** Every value written, in order, when the code wrote the PV more than once. */
  proposedAll: z.array(z.unknown()).default([]),
  api: z.string(),
  current: z.unknown(),
  units: z.string().nullable(),
  precision: z.number().nullable().default(null),
  limits: PvLimitsSchema.nullable(),
  /** True when a proposed value is outside `limits` (or not a number while limits exist). */
  outOfLimits: z.boolean(),
  /** False when the PV could not be reached during the dry run (current value unknown). */
  connected: z.boolean(),
  error: z.string().nullable().default(null),
});
export type ManifestEntry = z.infer<typeof ManifestEntrySchema>;

export const WriteManifestSchema = z.object({
  entries: z.array(ManifestEntrySchema),
  /** Distinct PV names, sorted: the set the signed decision binds. */
  pvs: z.array(z.string()),
  /** sha256 of the canonical manifest ({@link manifestHash}). */
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  builtAt: z.string(),
  /** Backend the dry run ran on and how long it took. */
  backend: z.string(),
  dryRunMs: z.number(),
});
export type WriteManifest = z.infer<typeof WriteManifestSchema>;

/**
 * What the executor (today the harness guard, later a CA gate outside the user's process) admits
 * in a write run: only PVs of the signed manifest, optionally only values within its limits.
 * Plain JSON on purpose: it is handed to Python and, later, to the gate as is.
 */
export const WritePolicySchema = z.object({
  /** PVs a write may go to; null admits any PV (no manifest: dry runs, read-only runs). */
  allowed_pvs: z.array(z.string()).nullable(),
  limits: z.record(z.string(), z.object({ low: z.number().nullable(), high: z.number().nullable() })),
  enforce_limits: z.boolean(),
  /** Seconds a write waits for its PV to connect (`control_system.write_connection_timeout_seconds`). */
  connection_timeout_s: z.number().positive(),
});
export type WritePolicy = z.infer<typeof WritePolicySchema>;

/** A real write as the harness recorded it: performed, failed, or refused before the put. */
export const PerformedWriteSchema = z.object({
  pv: z.string(),
  value: z.unknown(),
  api: z.string(),
  order: z.number().int(),
  status: z.enum(["ok", "failed", "refused"]),
  error: z.string().nullable(),
  /** `WRITE_NOT_IN_MANIFEST`, `WRITE_OUT_OF_LIMITS` or `CONTROL_SYSTEM_WRITE_FAILED`; null when ok. */
  code: z.string().nullable().default(null),
  /** The PV's value read after the put (null when not read). */
  readback: z.unknown(),
  at: z.string(),
});
export type PerformedWrite = z.infer<typeof PerformedWriteSchema>;

/** What the dry run learnt about one PV (the harness's `write_targets`). */
export const WriteTargetSchema = z.object({
  pv: z.string(),
  connected: z.boolean(),
  current: z.unknown(),
  units: z.string().nullable(),
  precision: z.number().nullable(),
  limits: PvLimitsSchema.nullable(),
  error: z.string().nullable(),
});
export type WriteTarget = z.infer<typeof WriteTargetSchema>;

/** The PV name manifests compare (same rule as the harness): trimmed, no trailing `.VAL`. */
export function normalizePv(pv: string): string {
  const t = pv.trim();
  return t.endsWith(".VAL") ? t.slice(0, -4) : t;
}

/** True when `value` is outside `limits` (a non-number against numeric limits counts as outside). */
export function isOutOfLimits(value: unknown, limits: PvLimits | null): boolean {
  if (!limits || (limits.low === null && limits.high === null)) return false;
  if (typeof value !== "number" || Number.isNaN(value)) return true;
  return (limits.low !== null && value < limits.low) || (limits.high !== null && value > limits.high);
}

/** sha256 over the manifest's content that matters for a decision (PVs, values, limits; sorted by PV). */
export function manifestHash(entries: ReadonlyArray<Pick<ManifestEntry, "pv" | "proposed" | "proposedAll" | "limits">>): string {
  const canonical = [...entries]
    .sort((a, b) => (a.pv < b.pv ? -1 : a.pv > b.pv ? 1 : 0))
    .map((e) => [e.pv, e.proposed ?? null, e.proposedAll ?? [], e.limits ? [e.limits.low, e.limits.high] : null]);
  return createHash("sha256").update(JSON.stringify(["pyfleet-manifest-v1", canonical]), "utf8").digest("hex");
}

/**
 * Builds the manifest from a dry run's recorded writes (in order) and the PV descriptions.
 * A PV written several times shows its last value as `proposed`; out of limits if any value is.
 */
export function buildManifest(input: {
  recorded: ReadonlyArray<{ pv: string; value: unknown; api: string; order: number }>;
  targets: ReadonlyArray<WriteTarget>;
  builtAt: string;
  backend: string;
  dryRunMs: number;
}): WriteManifest {
  const byPv = new Map<string, { values: unknown[]; api: string }>();
  for (const w of [...input.recorded].sort((a, b) => a.order - b.order)) {
    const pv = normalizePv(w.pv);
    const seen = byPv.get(pv);
    if (seen) seen.values.push(w.value);
    else byPv.set(pv, { values: [w.value], api: w.api });
  }
  const targets = new Map(input.targets.map((t) => [normalizePv(t.pv), t]));
  const entries: ManifestEntry[] = [...byPv].map(([pv, { values, api }]) => {
    const t = targets.get(pv);
    const limits = t?.limits ?? null;
    return {
      pv,
      proposed: values.at(-1) ?? null,
      proposedAll: values,
      api,
      current: t?.current ?? null,
      units: t?.units ?? null,
      precision: t?.precision ?? null,
      limits,
      outOfLimits: values.some((v) => isOutOfLimits(v, limits)),
      connected: t?.connected ?? false,
      error: t?.error ?? (t ? null : "not described"),
    };
  });
  return {
    entries,
    pvs: [...byPv.keys()].sort(),
    hash: manifestHash(entries),
    builtAt: input.builtAt,
    backend: input.backend,
    dryRunMs: input.dryRunMs,
  };
}

/** The policy that admits exactly the manifest's PVs (and, when `enforceLimits`, its limits). */
export function writePolicyFor(manifest: WriteManifest | null, opts: { enforceLimits: boolean; connectionTimeoutS: number }): WritePolicy {
  const limits: WritePolicy["limits"] = {};
  for (const e of manifest?.entries ?? []) if (e.limits) limits[e.pv] = { low: e.limits.low, high: e.limits.high };
  return {
    allowed_pvs: manifest ? [...manifest.pvs] : null,
    limits,
    enforce_limits: opts.enforceLimits,
    connection_timeout_s: opts.connectionTimeoutS,
  };
}

function fmt(value: unknown, precision: number | null): string {
  if (value === null || value === undefined) return "?";
  if (typeof value === "number") return precision !== null && precision >= 0 && precision <= 12 ? value.toFixed(precision) : String(value);
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** One row as text: `SR:MAG:QF1:CURRENT_SP  101.0 A → 102.5 A  (limits 0 … 150 A)`, flagged when out of limits. */
export function formatManifestRow(e: ManifestEntry, pvWidth = e.pv.length): string {
  const unit = e.units ? ` ${e.units}` : "";
  const p = e.precision ?? (typeof e.current === "number" || typeof e.proposed === "number" ? 1 : null);
  const current = e.connected ? `${fmt(e.current, p)}${unit}` : "(unreachable)";
  const limits = e.limits ? `  (limits ${fmt(e.limits.low, null)} … ${fmt(e.limits.high, null)}${unit})` : "  (no limits)";
  const flag = e.outOfLimits ? "  ⚠ OUT OF LIMITS" : "";
  const more = e.proposedAll.length > 1 ? `  [${e.proposedAll.length} writes]` : "";
  return `${e.pv.padEnd(pvWidth)}  ${current} → ${fmt(e.proposed, p)}${unit}${limits}${more}${flag}`;
}

/** The manifest as a text table (CLI, webhook, demo); one line when there are no writes. */
export function formatManifestTable(manifest: WriteManifest | null): string {
  if (!manifest) return "(no write manifest)";
  if (manifest.entries.length === 0) return "(the dry run made no control-system writes)";
  const width = Math.max(...manifest.entries.map((e) => e.pv.length));
  return manifest.entries.map((e) => formatManifestRow(e, width)).join("\n");
}
