import { useEffect, useState } from "preact/hooks";
import { api } from "../api.js";
import { dateTime } from "../format.js";
import { runHref } from "../route.js";
import type { ApprovalDetail as Detail, Me, RunView } from "../types.js";
import { CodeView } from "../ui/code-view.js";
import { StatusBadge } from "../ui/status-badge.js";
import { ManifestTable } from "./manifest-table.js";

/**
 * One approval: what the code does (writes highlighted, the manifest), why it needs a human,
 * who asked and until when, who voted, and the decision form. Buttons are disabled once the
 * approval is decided and for tokens without the approver role. `version` changes when the
 * approvals stream reports news, which re-reads the approval.
 */
export function ApprovalDetail({ id, me, version }: { id: string; me: Me; version: number }) {
  const [a, setA] = useState<Detail | null>(null);
  const [run, setRun] = useState<RunView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reason, setReason] = useState("");
  const [feedback, setFeedback] = useState("");
  const [msg, setMsg] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let live = true;
    api.json<{ approval: Detail }>("approver", `/v1/approvals/${encodeURIComponent(id)}`).then(
      (r) => live && setA(r.approval),
      (e: Error) => live && setError(e.message),
    );
    return () => {
      live = false;
    };
  }, [id, version]);

  // The run's status, live: an approved run goes on to execute and complete.
  useEffect(() => {
    if (!a) return;
    let live = true;
    const read = () =>
      api.json<RunView>("producer", `/v1/runs/${encodeURIComponent(a.runId)}`).then(
        (r) => live && setRun(r),
        () => undefined,
      );
    void read();
    const t = setInterval(read, 1000);
    return () => {
      live = false;
      clearInterval(t);
    };
  }, [a?.runId]);

  if (error) return <p class="err" role="alert">{error}</p>;
  if (!a) return <p class="muted" aria-busy="true">Loading approval…</p>;
  const canDecide = me.roles.includes("approver");
  const decided = a.status !== "pending";
  const approvals = a.votes.filter((v) => v.decision === "approve");
  const decide = async (decision: "approve" | "reject") => {
    if (!reason.trim()) {
      setMsg("Give a reason before deciding.");
      return;
    }
    setBusy(true);
    setMsg(null);
    try {
      const body: Record<string, unknown> = { decision, codeHash: a.codeHash, reason: reason.trim() };
      if (decision === "reject" && feedback.trim()) {
        body.feedback = feedback.trim();
        body.regenerate = true;
      }
      const r = await api.json<{ released: boolean; approval: { status: string } }>("approver", `/v1/approvals/${encodeURIComponent(a.id)}/decision`, {
        method: "POST",
        body: JSON.stringify(body),
      });
      setMsg(r.released ? (decision === "approve" ? "Approved: the run continues." : "Rejected: the run ends.") : "Vote recorded: another approver must decide too.");
      setReason("");
      const fresh = await api.json<{ approval: Detail }>("approver", `/v1/approvals/${encodeURIComponent(a.id)}`);
      setA(fresh.approval);
    } catch (e) {
      setMsg(`Refused: ${(e as Error).message}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <article class="detail" aria-labelledby="approval-title">
      <h2 id="approval-title">{a.task}</h2>
      <dl class="meta">
        <dt>Status</dt>
        <dd id="approval-status" aria-live="polite">
          <StatusBadge status={a.status} />
        </dd>
        <dt>Run</dt>
        <dd>
          <a href={runHref(a.runId)}>
            <code>{a.runId}</code>
          </a>{" "}
          attempt {a.attempt} · run status <span id="approval-run-status">{run ? <StatusBadge status={run.status} /> : "…"}</span>
        </dd>
        <dt>Mode</dt>
        <dd class={a.executionMode === "write_access" ? "mode-write" : ""}>
          {a.executionMode.replace("_", " ")} on {a.kernelName}
        </dd>
        <dt>Requester</dt>
        <dd id="approval-requester">{a.requester}</dd>
        <dt>Requested</dt>
        <dd>{dateTime(a.createdAt)}</dd>
        <dt>Expires</dt>
        <dd id="approval-expires">{dateTime(a.expiresAt)}</dd>
        <dt>Code hash</dt>
        <dd>
          <code class="wrap">{a.codeHash}</code>
        </dd>
        <dt>Votes</dt>
        <dd id="approval-votes">
          {approvals.length} of {a.requiredApprovals} approval{a.requiredApprovals === 1 ? "" : "s"}
          {a.requiredApprovals > 1 ? " (two-person rule)" : ""}
          {a.votes.length > 0 && (
            <ul>
              {a.votes.map((v, i) => (
                <li key={i}>
                  <strong>{v.identity}</strong> {v.decision === "approve" ? "approved" : "rejected"} at {dateTime(v.at)}: {v.reason}
                </li>
              ))}
            </ul>
          )}
        </dd>
      </dl>
      <section aria-labelledby="h-why">
        <h3 id="h-why">Why it needs approval</h3>
        <p class="reason">{a.reasoning}</p>
        <p>
          <strong>Query:</strong> <span class="pre-wrap">{a.userQuery}</span>
        </p>
      </section>
      <ManifestTable manifest={a.manifest} pvWrites={a.pvWrites} dryRun={run?.request?.dry_run === true} />
      <section aria-labelledby="h-code">
        <h3 id="h-code">Code</h3>
        <CodeView code={a.code} findings={a.findings} writes={a.pvWrites} label="Code to approve" />
      </section>
      <section aria-labelledby="h-decide">
        <h3 id="h-decide">Decision</h3>
        {!canDecide && <p class="muted" id="no-role">Your token ({me.identity}) may view approvals but not decide them.</p>}
        {decided && <p id="decided-note">Decided: {a.status}{a.decidedAt ? ` at ${dateTime(a.decidedAt)}` : ""}.</p>}
        <form class="decide" onSubmit={(e) => e.preventDefault()}>
          <label>
            Reason (required)
            <input id="reason" value={reason} onInput={(e) => setReason(e.currentTarget.value)} disabled={decided || !canDecide} required />
          </label>
          <label>
            Feedback for a new attempt (reject only, optional)
            <textarea id="feedback" value={feedback} onInput={(e) => setFeedback(e.currentTarget.value)} disabled={decided || !canDecide} rows={2} />
          </label>
          <div class="buttons">
            <button type="button" id="approve" class="ok" disabled={decided || !canDecide || busy} onClick={() => decide("approve")}>
              Approve
            </button>
            <button type="button" id="reject" class="no" disabled={decided || !canDecide || busy} onClick={() => decide("reject")}>
              Reject
            </button>
          </div>
        </form>
        {msg && (
          <p id="decision-msg" role="status">
            {msg}
          </p>
        )}
      </section>
    </article>
  );
}
