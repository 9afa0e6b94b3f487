import type { PvAccess } from "../types.js";
import { manifestDryRun, manifestRows } from "./manifest.js";

const show = (v: unknown) => (v === null || v === undefined ? "unknown" : typeof v === "string" ? v : JSON.stringify(v));

/**
 * The write manifest: PV, current → proposed value, limits, and a flag on values outside
 * them. Without a manifest on the approval, the PVs static analysis found are listed and the
 * table says that values are unknown.
 */
export function ManifestTable({ manifest, pvWrites, dryRun }: { manifest: unknown; pvWrites: PvAccess[]; dryRun: boolean }) {
  const rows = manifestRows(manifest);
  const isDry = dryRun || manifestDryRun(manifest);
  return (
    <section aria-labelledby="h-manifest" class="manifest">
      <h3 id="h-manifest">
        Write manifest {isDry && <span class="badge dry-run" title="Writes are recorded, not performed">DRY RUN</span>}
      </h3>
      {isDry && <p class="dry-run-note">Dry run: approving records these writes; nothing is written to the machine.</p>}
      {rows.length > 0 ? (
        <table id="manifest">
          <caption class="sr-only">PV writes this code would perform</caption>
          <thead>
            <tr>
              <th scope="col">PV</th>
              <th scope="col">Current → proposed</th>
              <th scope="col">Limits</th>
              <th scope="col">Check</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.pv} class={r.outOfLimits ? "out-of-limits" : ""}>
                <td>
                  <code>{r.pv}</code>
                </td>
                <td>
                  {show(r.current)} → <strong>{show(r.proposed)}</strong> {r.units ?? ""}
                </td>
                <td>
                  {r.low ?? "–"} … {r.high ?? "–"}
                </td>
                <td>{r.outOfLimits ? <strong class="flag">OUT OF LIMITS</strong> : "within limits"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <>
          <p class="muted">
            {manifest ? "The manifest on this approval could not be read; " : "No manifest on this approval; "}
            static analysis found these writes (values are known only when the code runs):
          </p>
          <table id="manifest">
            <thead>
              <tr>
                <th scope="col">PV</th>
                <th scope="col">Line</th>
                <th scope="col">Call</th>
              </tr>
            </thead>
            <tbody>
              {pvWrites.map((w, i) => (
                <tr key={i}>
                  <td>
                    <code>{w.pv ?? "(name not a literal: assumed write)"}</code>
                  </td>
                  <td>{w.line}</td>
                  <td>{w.api}</td>
                </tr>
              ))}
              {pvWrites.length === 0 && (
                <tr>
                  <td colSpan={3}>none</td>
                </tr>
              )}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
