import { EXECUTION_METHODS, PublicRunSchema, RunEventSchema, RunRecordSchema, RunStatusSchema } from "@pyfleet/core";
import { RelativeFilePath } from "@pyfleet/service-kit";
import { z } from "zod";

/** Query of `POST /v1/runs`. */
export const SubmitQuery = z
  .object({ execution_method: z.enum(EXECUTION_METHODS).optional() })
  .strict();

/** `:id` of the run routes (an id no run can have is a 404 like any unknown run, not a 400). */
export const RunIdParams = z.object({ id: z.string() });

/** `/v1/runs/:id/artifacts/*`: the file, relative to the run folder. */
export const ArtifactParams = RunIdParams.extend({ "*": RelativeFilePath });

export const NotebookQuery = z.object({ download: z.enum(["0", "1"]).optional() });

export const EventsHeaders = z.object({ "last-event-id": z.string().optional() });

export const EventsQuery = z.object({
  lastEventId: z.string().optional(),
  follow: z.string().optional(),
});

/** Response bodies (clients check their models against these components). */
export const responses = {
  SubmittedRun: z.object({ runId: z.string(), threadId: z.string(), status: RunStatusSchema }),
  RunRecord: RunRecordSchema,
  RunDetails: PublicRunSchema,
  RunList: z.object({ runs: z.array(RunRecordSchema), nextCursor: z.string().nullable() }),
  RunEvent: RunEventSchema,
  CancelledRun: z.object({ runId: z.string(), status: RunStatusSchema }),
};
