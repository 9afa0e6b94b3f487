import { duration, timeOfDay } from "../format.js";
import type { RunEvent } from "../types.js";

/** One step of the run as the timeline shows it. */
export interface TimelineStep {
  label: string;
  stage: string | null;
  attempt: number | null;
  at: string;
  /** Until the next status change (or until now for the current one); null once the run ended. */
  ms: number | null;
}

/** Status changes of the event stream, each with how long the run stayed in it. */
export function timelineOf(events: RunEvent[], now = Date.now()): TimelineStep[] {
  const marks = events.filter((e) => e.type === "status" || e.type === "finished");
  return marks.map((e, i) => {
    const next = marks[i + 1];
    const status = typeof e.data.status === "string" ? e.data.status : e.type;
    const label = e.type === "finished" ? `finished: ${status}` : status;
    const end = next ? Date.parse(next.at) : e.type === "finished" ? null : now;
    return { label, stage: e.stage ?? null, attempt: e.attempt ?? null, at: e.at, ms: end === null ? null : end - Date.parse(e.at) };
  });
}

/** The run's event timeline with durations per stage. */
export function Timeline({ events }: { events: RunEvent[] }) {
  const steps = timelineOf(events);
  if (steps.length === 0) return <p class="muted">No events yet.</p>;
  return (
    <ol class="timeline" aria-label="Event timeline">
      {steps.map((s, i) => (
        <li key={i}>
          <time dateTime={s.at}>{timeOfDay(s.at)}</time> <strong>{s.label}</strong>
          {s.stage ? ` (${s.stage}${s.attempt ? `, attempt ${s.attempt}` : ""})` : ""}
          {s.ms !== null && <span class="dur"> {duration(s.ms)}</span>}
        </li>
      ))}
    </ol>
  );
}
