/** A run or approval status as a coloured, text-labelled badge (colour is never the only cue). */
export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge status-${status}`}>{status.replace(/_/g, " ")}</span>;
}
