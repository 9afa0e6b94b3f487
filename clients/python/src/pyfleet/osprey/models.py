"""The original service's request and result types, backed by the fleet's models."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..models import RecordedWrite, RunRequest


class PlanningMode(StrEnum):
    """The original's planning modes (the original service never read it; neither does the fleet)."""

    GENERATOR_DRIVEN = "generator_driven"
    CAPABILITY_DRIVEN = "capability_driven"


class PythonExecutionRequest(BaseModel):
    """The original ``PythonExecutionRequest``, field for field, plus pyfleet's ``code`` (run this
    code instead of generating it) and ``dry_run`` (record control-system writes, perform none).

    ``planning_mode``, ``structured_plan``, ``approved_code``, ``existing_execution_folder``,
    ``session_context`` and ``execution_folder_path`` are accepted so existing capabilities run
    unchanged, and ignored as the original ignored them (they never reach the fleet).
    """

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    user_query: str
    task_objective: str
    expected_results: dict[str, Any] = Field(default_factory=dict)
    capability_prompts: list[str] = Field(default_factory=list)
    execution_folder_name: str = "python_capability"
    retries: int = 3
    planning_mode: PlanningMode = PlanningMode.GENERATOR_DRIVEN
    structured_plan: Any | None = None
    capability_context_data: dict[str, Any] | None = None
    approved_code: str | None = None
    existing_execution_folder: str | None = None
    session_context: dict[str, Any] | None = None
    execution_folder_path: str | None = None
    code: str | None = None
    dry_run: bool | None = None

    def to_run_request(self, *, thread_id: str | None, checkpoint_ns: str | None, execution_method: Any) -> RunRequest:
        """The fleet's request for this one (fields the fleet does not know are dropped)."""
        return RunRequest(
            user_query=self.user_query,
            task_objective=self.task_objective,
            expected_results=self.expected_results,
            capability_prompts=self.capability_prompts,
            execution_folder_name=self.execution_folder_name,
            capability_context_data=self.capability_context_data,
            retries=self.retries,
            code=self.code,
            dry_run=self.dry_run,
            thread_id=thread_id,
            checkpoint_ns=checkpoint_ns,
            execution_method=execution_method,
        )


@dataclass(frozen=True)
class PythonExecutionSuccess:
    """The original ``PythonExecutionSuccess``: what the code produced and where its files are.

    The fleet shows no path of its servers' disks: ``folder_path`` is None, ``notebook_path`` and
    ``figure_paths`` are paths inside the run folder, and ``notebook_link`` / ``figure_urls`` are
    URLs that serve them (the configured Jupyter link when there is one, else the producer's).
    ``recorded_writes`` lists the writes a dry run recorded (empty otherwise).
    """

    results: dict[str, Any]
    stdout: str
    execution_time: float
    folder_path: str | None
    notebook_path: str | None
    notebook_link: str | None
    figure_paths: list[str]
    stderr: str = ""
    recorded_writes: list[RecordedWrite] = field(default_factory=list)
    figure_urls: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The original's ``to_dict()`` keys."""
        return {
            "results": self.results,
            "execution_stdout": self.stdout,
            "execution_time_seconds": self.execution_time,
            "execution_folder": self.folder_path,
            "notebook_path": self.notebook_path,
            "notebook_link": self.notebook_link,
            "figure_paths": list(self.figure_paths),
            "figure_count": len(self.figure_paths),
        }


@dataclass(frozen=True)
class PythonServiceResult:
    """The original ``PythonServiceResult``, plus the fleet's ``run_id``. Returned by every
    successful ``ainvoke`` (the original returned a raw dict after a resume; this does not)."""

    execution_result: PythonExecutionSuccess
    generated_code: str
    generation_attempt: int = 1
    analysis_warnings: list[str] = field(default_factory=list)
    run_id: str = ""
