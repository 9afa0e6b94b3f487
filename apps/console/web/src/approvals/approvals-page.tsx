import { useEffect, useState } from "preact/hooks";
import { api } from "../api.js";
import { dateTime } from "../format.js";
import { approvalHref } from "../route.js";
import type { ApprovalSummary, Me } from "../types.js";
import { StatusBadge } from "../ui/status-badge.js";
import { ApprovalDetail } from "./approval-detail.js";

/**
 * Pending and decided approvals beside the selected one. The approver's event stream (pending,
 * decided) re-reads both lists and the open approval, so every tab stays current.
 */
export function ApprovalsPage({ selected, me }: { selected: string | null; me: Me }) {
  const [pending, setPending] = useState<ApprovalSummary[] | null>(null);
  const [decided, setDecided] = useState<ApprovalSummary[]>([]);
  const [version, setVersion] = useState(0);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const ctl = new AbortController();
    const load = async () => {
      try {
        const [p, all] = await Promise.all([
          api.json<{ approvals: ApprovalSummary[] }>("approver", "/v1/approvals?status=pending&limit=200"),
          api.json<{ approvals: ApprovalSummary[] }>("approver", "/v1/approvals?limit=100"),
        ]);
        setPending(p.approvals);
        setDecided(all.approvals.filter((a) => a.status !== "pending"));
        setError(null);
      } catch (e) {
        setError((e as Error).message);
      }
    };
    void api.stream(
      "approver",
      "/v1/approvals/events",
      () => {
        void load();
        setVersion((v) => v + 1);
      },
      ctl.signal,
      () => void load(),
    );
    return () => ctl.abort();
  }, []);

  return (
    <div class="panes">
      <nav class="list-pane" aria-label="Approvals">
        {error && <p class="err">{error}</p>}
        <h2>
          Pending <span class="count">({pending?.length ?? "…"})</span>
        </h2>
        <ApprovalList items={pending} selected={selected} id="pending-list" empty="Nothing waits for a decision." />
        <h2>Decided</h2>
        <ApprovalList items={decided} selected={selected} id="decided-list" empty="No decided approvals yet." />
      </nav>
      <div class="detail-pane">
        {selected ? <ApprovalDetail id={selected} me={me} version={version} /> : <p class="muted">Select an approval.</p>}
      </div>
    </div>
  );
}

function ApprovalList({ items, selected, id, empty }: { items: ApprovalSummary[] | null; selected: string | null; id: string; empty: string }) {
  if (!items) return <p class="muted">Loading…</p>;
  if (items.length === 0) return <p class="muted">{empty}</p>;
  return (
    <ul class="list" id={id}>
      {items.map((a) => (
        <li key={a.id} data-approval-id={a.id} class={a.id === selected ? "sel" : ""}>
          <a href={approvalHref(a.id)} aria-current={a.id === selected ? "page" : undefined}>
            <span class="row-main">
              <span class="task">{a.task}</span>
              <StatusBadge status={a.status} />
            </span>
            <span class="row-meta">
              <span class={a.executionMode === "write_access" ? "mode-write" : ""}>{a.executionMode.replace("_", " ")}</span> ·{" "}
              {a.pvWrites.map((p) => p.pv ?? "(dynamic)").join(", ") || "no PV writes"} · {a.requester} · {a.approvals}/{a.requiredApprovals} · expires{" "}
              {dateTime(a.expiresAt)}
            </span>
          </a>
        </li>
      ))}
    </ul>
  );
}
