"""Pydantic models of the producer and approver APIs.

Field names are Pythonic (``run_id``); on the wire they are the fleet's (``runId``). The test
``tests/test_openapi_models.py`` compares every model here with the schema of the same name in
the producer's ``/openapi.json`` (property names, required fields, JSON types, enums), so the
two cannot drift apart. Response models ignore fields they do not know, so a newer fleet does
not break an older client.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

RunStatus = Literal[
    "queued",
    "generating",
    "analyzing",
    "awaiting_approval",
    "executing",
    "completed",
    "failed",
    "rejected",
    "cancelled",
    "approval_expired",
    "outcome_unknown",
]
TERMINAL_STATUSES: frozenset[str] = frozenset({"completed", "failed", "rejected", "cancelled", "approval_expired", "outcome_unknown"})
Stage = Literal["generate", "analyze", "preview", "approve", "execute", "finalize"]
ExecutionMode = Literal["read_only", "write_access"]
ExecutionMethod = Literal["container", "local", "docker"]
ErrorCategory = Literal["code", "infrastructure", "policy", "configuration", "approval", "validation"]
RunEventType = Literal["status", "code_chunk", "code", "analysis", "approval", "stdout", "stderr", "result", "error", "finished"]


def is_terminal(status: str) -> bool:
    """True when a run with this status will not change any more."""
    return status in TERMINAL_STATUSES


class _Wire(BaseModel):
    """Base of response models: camelCase on the wire, unknown fields ignored."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True)


class _Snake(BaseModel):
    """Base of response models whose wire names are already snake_case."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class RunRequest(BaseModel):
    """A run as submitted to ``POST /v1/runs`` (every field of the original
    ``PythonExecutionRequest`` plus pyfleet's ``code``, ``execution_method``, ``thread_id``,
    ``checkpoint_ns``, ``dry_run``). Unknown fields are refused here, as by the producer; the
    producer checks the finer limits (patterns, sizes) and names the field when one fails.
    """

    model_config = ConfigDict(extra="forbid")

    user_query: str
    task_objective: str
    expected_results: dict[str, Any] = Field(default_factory=dict)
    capability_prompts: list[str] = Field(default_factory=list)
    execution_folder_name: str = "python_capability"
    capability_context_data: dict[str, Any] | None = None
    retries: int | None = None
    code: str | None = None
    execution_method: ExecutionMethod | None = None
    thread_id: str | None = None
    checkpoint_ns: str | None = None
    requester: str | None = None
    dry_run: bool | None = None


class SubmittedRun(_Wire):
    """Answer of ``POST /v1/runs``."""

    run_id: str
    thread_id: str
    status: RunStatus


class CancelledRun(_Wire):
    """Answer of ``POST /v1/runs/{id}/cancel``."""

    run_id: str
    status: RunStatus


class ArtifactRef(_Wire):
    """A file of the run folder: its path inside the folder and the producer URL serving it."""

    path: str
    url: str


class RecordResultSummary(_Wire):
    """The result summary of a run record as listed (``notebook_path`` is the fleet's path)."""

    result_keys: list[str]
    figure_count: int
    notebook_path: str | None
    notebook_link: str | None


class ResultSummary(_Wire):
    """The result summary in a run's details: the notebook as a run-folder path and URL."""

    result_keys: list[str]
    figure_count: int
    notebook_link: str | None
    notebook: ArtifactRef | None


class RunError(_Wire):
    """Why a run failed: the fleet's error code and category."""

    code: str
    category: ErrorCategory
    message: str


class Reconciliation(_Wire):
    outcome: Literal["succeeded", "failed"]
    note: str
    by: str
    at: str


class _RunFields(_Wire):
    """What a run record and a run's details share."""

    run_id: str
    thread_id: str
    checkpoint_ns: str
    status: RunStatus
    stage: Stage | None
    mode: ExecutionMode | None
    method: ExecutionMethod | None = None
    attempts: int
    requester: str
    task: str
    created_at: str
    updated_at: str
    finished_at: str | None
    approval_id: str | None
    error: RunError | None
    reconciliation: Reconciliation | None = None


class RunRecord(_RunFields):
    """The run record (as listed): status, stage, mode, attempts, timestamps, error."""

    result_summary: RecordResultSummary | None


class ExecutionErrorInfo(_Snake):
    """A user-code error as reported by the kernel (data, not an exception)."""

    ename: str
    evalue: str
    traceback: str
    category: ErrorCategory
    code: str | None = None


class RecordedWrite(_Snake):
    """A control-system write recorded (not performed) in a dry run."""

    pv: str
    value: Any
    api: str
    order: int


class PvLimits(_Snake):
    low: float | None
    high: float | None
    source: str


class ManifestEntry(_Wire):
    """One PV a write run will change: current and proposed value, units, limits."""

    pv: str
    proposed: Any
    proposed_all: list[Any]
    api: str
    current: Any
    units: str | None
    precision: float | None
    limits: PvLimits | None
    out_of_limits: bool
    connected: bool
    error: str | None


class WriteManifest(_Wire):
    """What a write run will change, learnt from a dry run before approval; the approval binds its hash."""

    entries: list[ManifestEntry]
    pvs: list[str]
    hash: str
    built_at: str
    backend: str
    dry_run_ms: float


class PerformedWrite(_Snake):
    """A real control-system write with its true outcome and read-back."""

    pv: str
    value: Any
    api: str
    order: int
    status: Literal["ok", "failed", "refused"]
    error: str | None
    code: str | None
    readback: Any
    at: str


class WriteTarget(_Snake):
    pv: str
    connected: bool
    current: Any
    units: str | None
    precision: float | None
    limits: PvLimits | None
    error: str | None


class ExecutionResult(_Snake):
    """The result of an execution (the original ``PythonExecutionSuccess``, JSON form). Paths are
    relative to the run folder; the ``*_url`` fields are the producer URLs serving the files."""

    results: dict[str, Any]
    stdout: str
    stderr: str
    execution_time: float
    notebook_link: str | None
    recorded_writes: list[RecordedWrite]
    writes: list[PerformedWrite] | None = None
    error: ExecutionErrorInfo | None = None
    notebook_path: str | None
    notebook_url: str | None
    figure_paths: list[str]
    figure_urls: list[str]


class FinalResult(_Snake):
    """How a run ended: status, result, the code that ran, attempts, reason."""

    status: RunStatus
    result: ExecutionResult | None
    code: str | None
    attempts: int
    reason: str | None


class Finding(_Snake):
    """One thing the analyzer noticed in the code."""

    rule: str
    level: Literal["block", "warn", "allow", "info"]
    line: int
    column: int
    snippet: str
    message: str


class PvAccess(_Snake):
    """A control-system access found in the code (``pv`` is None when not a literal)."""

    pv: str | None
    line: int
    column: int
    api: str
    dynamic: bool


class ApprovalRequest(BaseModel):
    """What a parked run shows its reviewer: code, hash, mode, findings, PV writes, notebook."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    approval_type: Literal["python_executor"]
    run_id: str = Field(alias="runId")
    thread_id: str = Field(alias="threadId")
    attempt: int
    code_hash: str = Field(alias="codeHash")
    code: str
    execution_mode: ExecutionMode = Field(alias="executionMode")
    kernel_name: str = Field(alias="kernelName")
    task: str
    user_query: str = Field(alias="userQuery")
    reasoning: str
    findings: list[Finding]
    pv_writes: list[PvAccess] = Field(alias="pvWrites")
    notebook_link: str | None = Field(alias="notebookLink")
    requester: str
    expected_results: dict[str, Any] = Field(alias="expectedResults")
    user_message: str
    manifest: WriteManifest | None = None
    notebook: ArtifactRef | None


class AnalysisResult(_Snake):
    """Static analysis of one attempt's code plus the approval policy's decision."""

    passed: bool
    severity: Literal["info", "warning", "error"]
    findings: list[Finding]
    pv_writes: list[PvAccess]
    pv_reads: list[PvAccess]
    execution_mode: ExecutionMode
    needs_approval: bool
    reasoning: str
    results_keys: list[str]
    analyzer_version: str
    duration_ms: float | None = None


class TokenUsage(_Wire):
    prompt_tokens: int
    completion_tokens: int
    model: str
    latency_ms: float
    finish_reason: str | None


class GateWrite(_Snake):
    """A write the CA gate let through, with the server's status and the value read back."""

    pv: str | None
    value: Any
    outcome: Literal["performed", "failed"]
    status: str
    readback: Any = None


class GateRefusal(_Snake):
    """A write the CA gate refused (never forwarded to any CA server)."""

    pv: str | None
    value: Any
    reason: str
    code: Literal["WRITE_IN_READ_ONLY", "WRITE_NOT_IN_MANIFEST", "WRITE_OUT_OF_LIMITS"] | None = None
    """Why, as an error code (absent from gates older than the code)."""


class GateRecord(_Snake):
    """What the CA gate saw of one run: the executor's truth about writes."""

    writes: list[GateWrite]
    refused: list[GateRefusal]


class FigureRef(_Snake):
    name: str
    mime: str
    url: str | None


class ExecutionOutcome(_Wire):
    """What the backend reported for one attempt (user-code errors included)."""

    results: dict[str, Any] | None
    stdout: str
    stderr: str
    error: ExecutionErrorInfo | None = None
    duration_ms: float
    recorded_writes: list[RecordedWrite]
    performed_writes: list[PerformedWrite] | None = None
    write_targets: list[WriteTarget] | None = None
    gate: GateRecord | None = None
    warnings: list[str]
    backend: str
    stdout_truncated: bool
    figures: list[FigureRef]


class Attempt(_Wire):
    """One attempt: its code, analysis, outcome and notebook."""

    number: int
    code: str
    code_hash: str
    source: Literal["generated", "provided", "regenerated-after-feedback"]
    analysis: AnalysisResult | None = None
    usage: TokenUsage | None = None
    manifest: WriteManifest | None = None
    created_at: str
    notebook: ArtifactRef | None
    outcome: ExecutionOutcome | None


class ErrorChainEntry(_Wire):
    """One entry of the run's error chain (fed back to generation)."""

    stage: Stage
    category: ErrorCategory
    code: str
    message: str
    traceback: str | None = None
    findings: list[Finding] | None = None
    failed_code: str | None = None
    attempt: int
    at: str


class RequestView(BaseModel):
    """The run's request as the producer shows it (``capability_context_data`` left out; ``context_bytes`` says how big)."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    user_query: str
    task_objective: str
    expected_results: dict[str, Any]
    capability_prompts: list[str]
    execution_folder_name: str
    retries: int | None = None
    code: str | None = None
    execution_method: ExecutionMethod | None = None
    thread_id: str | None = None
    checkpoint_ns: str | None = None
    requester: str | None = None
    dry_run: bool | None = None
    context_bytes: int = Field(alias="contextBytes")


class RunDetails(_RunFields):
    """``GET /v1/runs/{id}``: the record, the final result, the pending approval, every attempt,
    the error chain and the request. No server path appears: files are run-folder paths and URLs."""

    result_summary: ResultSummary | None
    final: FinalResult | None
    approval: ApprovalRequest | None
    attempt_list: list[Attempt]
    error_chain: list[ErrorChainEntry]
    request: RequestView | None
    notebook_url: str | None


class RunList(_Wire):
    """A page of runs, newest first; pass ``next_cursor`` for the next page."""

    runs: list[RunRecord]
    next_cursor: str | None


class RunEvent(_Wire):
    """One event of a run's stream. ``id`` orders events and resumes a dropped stream."""

    id: str | None = None
    run_id: str
    type: RunEventType
    at: str
    stage: Stage | None = None
    attempt: int | None = None
    data: dict[str, Any]


class ApprovalSummary(_Wire):
    """An approval as listed by the approver."""

    id: str
    run_id: str
    attempt: int
    status: Literal["pending", "approved", "rejected", "expired", "cancelled"]
    execution_mode: ExecutionMode
    task: str
    code_hash: str
    pv_writes: list[PvAccess]
    requester: str
    created_at: str
    expires_at: str
    required_approvals: int
    approvals: int


class ApprovalVote(_Wire):
    """One reviewer's vote on an approval."""

    identity: str
    decision: Literal["approve", "reject"]
    reason: str
    feedback: str | None = None
    regenerate: bool | None = None
    at: str


class ApprovalDetail(_Wire):
    """One approval with everything a reviewer needs: code, hash, findings, PV writes, votes.

    The approver's record may carry more (the write manifest, once the control-system work
    lands); such fields stay reachable through :attr:`extra`.
    """

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow", frozen=True)

    id: str
    run_id: str
    thread_id: str
    attempt: int
    code_hash: str
    code: str
    execution_mode: ExecutionMode
    kernel_name: str
    task: str
    user_query: str
    reasoning: str
    findings: list[Finding]
    pv_writes: list[PvAccess]
    notebook_path: str | None
    notebook_link: str | None
    requester: str
    created_at: str
    expires_at: str
    required_approvals: int
    status: Literal["pending", "approved", "rejected", "expired", "cancelled"]
    decided_at: str | None
    votes: list[ApprovalVote] = Field(default_factory=list)

    @property
    def extra(self) -> dict[str, Any]:
        """Fields of the approver's record this client has no attribute for (e.g. a write manifest)."""
        return dict(self.model_extra or {})


class DecisionResult(_Wire):
    """Answer of a decision: the approval afterwards, whether the vote decided it, whether the run resumed."""

    approval: ApprovalSummary
    released: bool
    resumed: bool
