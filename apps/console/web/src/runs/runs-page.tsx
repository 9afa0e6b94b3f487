import { useState } from "preact/hooks";
import { NO_FILTERS, RunFilterForm, type RunFilters, RunList } from "./run-list.js";
import { RunDetail } from "./run-detail.js";

/** Filters and the live runs list beside the selected run. */
export function RunsPage({ selected }: { selected: string | null }) {
  const [filters, setFilters] = useState<RunFilters>(NO_FILTERS);
  return (
    <div class="panes">
      <nav class="list-pane" aria-label="Runs">
        <RunFilterForm value={filters} onChange={setFilters} />
        <RunList filters={filters} selected={selected} />
      </nav>
      <div class="detail-pane">{selected ? <RunDetail runId={selected} key={selected} /> : <p class="muted">Select a run.</p>}</div>
    </div>
  );
}
