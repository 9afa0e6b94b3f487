import { useEffect, useState } from "preact/hooks";
import { api } from "../api.js";
import { dateTime, duration, stripAnsi, TERMINAL } from "../format.js";
import { approvalHref } from "../route.js";
import type { ApprovalDetail, ApprovalSummary, AuditEntry, PublicAttempt, RunEvent, RunView } from "../types.js";
import { AuthImage, DownloadLink } from "../ui/auth-image.js";
import { CodeView } from "../ui/code-view.js";
import { StatusBadge } from "../ui/status-badge.js";
import { NotebookView } from "./notebook-view.js";
import { ResultsTree } from "./results-tree.js";
import { Timeline } from "./timeline.js";

/**
 * One run: request, attempts (code with findings, output, traceback, figures), results, the
 * final notebook, the event timeline, the approval history and the audit entries. Follows the
 * run's event stream while it is not finished and re-reads the run on each status change.
 */
export function RunDetail({ runId }: { runId: string }) {
  const [run, setRun] = useState<RunView | null>(null);
  const [events, setEvents] = useState<RunEvent[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    setRun(null);
    setEvents([]);
    setError(null);
    // `live` guards state updates after unmount; `ctl` only stops the event stream (which
    // also ends once the run finished, while the last re-read still has to land).
    let live = true;
    const ctl = new AbortController();
    const load = () =>
      api.json<RunView>("producer", `/v1/runs/${encodeURIComponent(runId)}`).then(
        (r) => live && setRun(r),
        (e: Error) => live && setError(e.message),
      );
    void load();
    let seen = new Set<string>();
    void api.stream(
      "producer",
      `/v1/runs/${encodeURIComponent(runId)}/events`,
      (m) => {
        const e = JSON.parse(m.data) as RunEvent;
        if (e.id && seen.has(e.id)) return;
        if (e.id) seen.add(e.id);
        setEvents((cur) => [...cur, e]);
        if (e.type === "status" || e.type === "finished" || e.type === "result" || e.type === "error") void load();
        if (e.type === "finished") ctl.abort();
      },
      ctl.signal,
      () => {
        // A reconnect replays the stream from the start: keep what we have, drop duplicates.
        seen = new Set(seen);
      },
    );
    const timer = setInterval(() => setTick((t) => t + 1), 1000);
    return () => {
      live = false;
      ctl.abort();
      clearInterval(timer);
    };
  }, [runId]);

  if (error) return <p class="err" role="alert">{error}</p>;
  if (!run) return <p class="muted" aria-busy="true">Loading run {runId}…</p>;
  const finished = TERMINAL.has(run.status);
  const result = run.final?.result ?? null;
  return (
    <article class="detail" aria-labelledby="run-title" data-tick={tick}>
      <h2 id="run-title">{run.task}</h2>
      <dl class="meta">
        <dt>Run</dt>
        <dd>
          <code id="run-id">{run.runId}</code>
        </dd>
        <dt>Status</dt>
        <dd id="run-status" aria-live="polite">
          <StatusBadge status={run.status} /> {run.stage && !finished ? `(stage ${run.stage})` : ""}
        </dd>
        <dt>Requester</dt>
        <dd>{run.requester}</dd>
        <dt>Mode</dt>
        <dd class={run.mode === "write_access" ? "mode-write" : ""}>{run.mode?.replace("_", " ") ?? "not analysed yet"}</dd>
        <dt>Method</dt>
        <dd>{run.method ?? "–"}</dd>
        <dt>Created</dt>
        <dd>{dateTime(run.createdAt)}</dd>
        <dt>Finished</dt>
        <dd>{run.finishedAt ? `${dateTime(run.finishedAt)} (${duration(Date.parse(run.finishedAt) - Date.parse(run.createdAt))})` : "not yet"}</dd>
      </dl>
      {run.error && (
        <p class="err" role="alert" id="run-error">
          {run.error.code}: {run.error.message}
        </p>
      )}

      <section aria-labelledby="h-request">
        <h3 id="h-request">Request</h3>
        {run.request ? (
          <dl class="meta">
            <dt>Query</dt>
            <dd class="pre-wrap">{run.request.user_query}</dd>
            <dt>Objective</dt>
            <dd class="pre-wrap">{run.request.task_objective}</dd>
            <dt>Expected</dt>
            <dd>{Object.keys(run.request.expected_results).join(", ") || "–"}</dd>
            <dt>Dry run</dt>
            <dd>{run.request.dry_run ? <span class="badge dry-run">DRY RUN</span> : "no"}</dd>
            <dt>Context</dt>
            <dd>{run.request.contextBytes ? `${run.request.contextBytes} bytes` : "none"}</dd>
          </dl>
        ) : (
          <p class="muted">Not stored.</p>
        )}
      </section>

      {run.attemptList.map((a) => (
        <AttemptView key={a.number} a={a} runId={run.runId} />
      ))}

      {run.errorChain.length > 0 && (
        <section aria-labelledby="h-errors">
          <h3 id="h-errors">Error chain</h3>
          <ol class="errors">
            {run.errorChain.map((e, i) => (
              <li key={i}>
                <strong>
                  attempt {e.attempt}, {e.stage}: {e.code}
                </strong>{" "}
                {e.message}
                {e.traceback && <pre class="traceback">{stripAnsi(e.traceback)}</pre>}
              </li>
            ))}
          </ol>
        </section>
      )}

      <section aria-labelledby="h-results">
        <h3 id="h-results">Results</h3>
        {result ? <ResultsTree value={result.results} /> : <p class="muted">{finished ? "No results." : "Not finished yet."}</p>}
        {result && result.figure_urls.length > 0 && (
          <div class="figures">
            {result.figure_urls.map((u, i) => (
              <AuthImage key={u} service="producer" path={u} alt={`figure ${i + 1} of the result`} />
            ))}
          </div>
        )}
      </section>

      <section aria-labelledby="h-notebook">
        <h3 id="h-notebook">Notebook</h3>
        {run.notebookUrl ? (
          <>
            <p>
              <DownloadLink service="producer" path={`${run.notebookUrl}?download=1`} filename={`${run.runId}.ipynb`}>
                Download notebook (.ipynb)
              </DownloadLink>
              {run.resultSummary?.notebookLink && (
                <>
                  {" · "}
                  <a href={run.resultSummary.notebookLink} target="_blank" rel="noreferrer">
                    Open in Jupyter
                  </a>
                </>
              )}
            </p>
            <NotebookView path={run.notebookUrl} label="Final notebook" />
          </>
        ) : (
          <p class="muted">No notebook yet.</p>
        )}
      </section>

      <section aria-labelledby="h-timeline">
        <h3 id="h-timeline">Timeline</h3>
        <Timeline events={events} />
      </section>

      <ApprovalHistory runId={run.runId} refresh={run.updatedAt} />
      <AuditEntries runId={run.runId} refresh={run.updatedAt} />
    </article>
  );
}

function AttemptView({ a, runId }: { a: PublicAttempt; runId: string }) {
  const o = a.outcome;
  return (
    <section class="attempt" aria-labelledby={`h-attempt-${a.number}`} data-attempt={a.number}>
      <h3 id={`h-attempt-${a.number}`}>
        Attempt {a.number} <span class="muted">({a.source})</span>
      </h3>
      {a.analysis && (
        <p class={a.analysis.passed ? "muted" : "err"}>
          Analysis: {a.analysis.passed ? "passed" : "failed"}, {a.analysis.execution_mode.replace("_", " ")}
          {a.analysis.needs_approval ? ", needs approval" : ""}. {a.analysis.reasoning}
        </p>
      )}
      <CodeView
        code={a.code}
        findings={a.analysis?.findings ?? []}
        writes={a.analysis?.pv_writes ?? []}
        reads={a.analysis?.pv_reads ?? []}
        label={`Code of attempt ${a.number}`}
      />
      {o && (
        <>
          <h4>stdout</h4>
          <pre class="out out-stdout" data-testid="stdout">{o.stdout || "(empty)"}</pre>
          {o.stdoutTruncated && <p class="muted">stdout was cut at the configured limit.</p>}
          {o.stderr && (
            <>
              <h4>stderr</h4>
              <pre class="out out-stderr">{o.stderr}</pre>
            </>
          )}
          {o.error && (
            <>
              <h4>
                Traceback: {o.error.ename}: {o.error.evalue}
              </h4>
              <pre class="traceback" data-testid="traceback">
                {stripAnsi(o.error.traceback)}
              </pre>
            </>
          )}
          <p class="muted">
            Ran on {o.backend} in {duration(o.durationMs)}
            {o.recordedWrites.length ? `; recorded writes (dry run): ${o.recordedWrites.map((w) => `${w.pv} ← ${JSON.stringify(w.value)}`).join(", ")}` : ""}
          </p>
          {o.figures.length > 0 && (
            <div class="figures">
              {o.figures.map((f, i) =>
                f.url ? <AuthImage key={f.url} service="producer" path={f.url} alt={`${f.name} (attempt ${a.number}, figure ${i + 1})`} /> : null,
              )}
            </div>
          )}
        </>
      )}
      {a.notebook && (
        <p>
          <DownloadLink service="producer" path={a.notebook.url} filename={`${runId}-attempt-${a.number}.ipynb`}>
            Download attempt {a.number} notebook
          </DownloadLink>
        </p>
      )}
    </section>
  );
}

function ApprovalHistory({ runId, refresh }: { runId: string; refresh: string }) {
  const [rows, setRows] = useState<ApprovalDetail[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    (async () => {
      const { approvals } = await api.json<{ approvals: ApprovalSummary[] }>("approver", `/v1/approvals?runId=${encodeURIComponent(runId)}`);
      const details = await Promise.all(approvals.map((s) => api.json<{ approval: ApprovalDetail }>("approver", `/v1/approvals/${encodeURIComponent(s.id)}`)));
      if (live) setRows(details.map((d) => d.approval));
    })().catch((e: Error) => live && setError(e.message));
    return () => {
      live = false;
    };
  }, [runId, refresh]);
  return (
    <section aria-labelledby="h-approvals">
      <h3 id="h-approvals">Approval history</h3>
      {error ? (
        <p class="err">{error}</p>
      ) : !rows ? (
        <p class="muted">Loading…</p>
      ) : rows.length === 0 ? (
        <p class="muted">No approval was needed.</p>
      ) : (
        <ul>
          {rows.map((a) => (
            <li key={a.id}>
              <a href={approvalHref(a.id)}>Attempt {a.attempt}</a> <StatusBadge status={a.status} /> requested by {a.requester} at {dateTime(a.createdAt)}
              <ul>
                {a.votes.map((v, i) => (
                  <li key={i}>
                    {v.identity} {v.decision === "approve" ? "approved" : "rejected"} at {dateTime(v.at)}: {v.reason}
                  </li>
                ))}
              </ul>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function AuditEntries({ runId, refresh }: { runId: string; refresh: string }) {
  const [rows, setRows] = useState<AuditEntry[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    api.json<{ entries: AuditEntry[] }>("approver", `/v1/audit?runId=${encodeURIComponent(runId)}`).then(
      (r) => live && setRows(r.entries),
      (e: Error) => live && setError(e.message),
    );
    return () => {
      live = false;
    };
  }, [runId, refresh]);
  return (
    <section aria-labelledby="h-audit">
      <h3 id="h-audit">Audit entries</h3>
      {error ? (
        <p class="err">{error}</p>
      ) : !rows ? (
        <p class="muted">Loading…</p>
      ) : rows.length === 0 ? (
        <p class="muted">None for this run.</p>
      ) : (
        <table class="audit">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Entry</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((e) => (
              <tr key={e.id}>
                <td>{dateTime(e.at)}</td>
                <td>{e.type}</td>
                <td>
                  <code class="wrap">{JSON.stringify(e.data)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
