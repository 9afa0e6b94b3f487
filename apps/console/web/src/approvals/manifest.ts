import type { ManifestRow } from "../types.js";

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/**
 * Reads the write manifest an approval carries into table rows. Accepts a list of entries or
 * an object holding one (`entries`, `writes`, `pvs`), with the limit fields spelled
 * `limits: {low, high}`, `low/high`, `lower/upper` or EPICS' `drvl/drvh`. Unknown shapes
 * give no rows (the table then says the manifest could not be read).
 */
export function manifestRows(manifest: unknown): ManifestRow[] {
  const list = Array.isArray(manifest)
    ? manifest
    : manifest && typeof manifest === "object"
      ? ((manifest as Record<string, unknown>).entries ?? (manifest as Record<string, unknown>).writes ?? (manifest as Record<string, unknown>).pvs)
      : null;
  if (!Array.isArray(list)) return [];
  return list
    .filter((e): e is Record<string, unknown> => !!e && typeof e === "object" && typeof (e as Record<string, unknown>).pv === "string")
    .map((e) => {
      const lim = (e.limits && typeof e.limits === "object" ? e.limits : {}) as Record<string, unknown>;
      const low = num(lim.low ?? lim.lower ?? lim.min ?? lim.drvl ?? e.low ?? e.lower ?? e.drvl);
      const high = num(lim.high ?? lim.upper ?? lim.max ?? lim.drvh ?? e.high ?? e.upper ?? e.drvh);
      const proposed = e.proposed ?? e.value ?? e.new;
      const p = num(proposed);
      const flagged = e.outOfLimits ?? e.out_of_limits ?? e.outOfRange ?? e.within_limits === false;
      return {
        pv: e.pv as string,
        current: e.connected === false ? "(unreachable)" : (e.current ?? e.currentValue ?? e.current_value ?? null),
        proposed,
        units: typeof e.units === "string" ? e.units : typeof e.unit === "string" ? e.unit : null,
        low,
        high,
        outOfLimits: flagged === true || (p !== null && ((low !== null && p < low) || (high !== null && p > high))),
      };
    });
}

/** Whether the manifest says it was made by a dry run (writes recorded, not performed). */
export function manifestDryRun(manifest: unknown): boolean {
  if (!manifest || typeof manifest !== "object" || Array.isArray(manifest)) return false;
  const m = manifest as Record<string, unknown>;
  return m.dryRun === true || m.dry_run === true;
}
