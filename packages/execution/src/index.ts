export {
  DEFAULT_PYTHON,
  HARNESS_PATH,
  HARNESS_PROTOCOL,
  type HarnessReport,
  HarnessReportSchema,
  harnessSource,
  type OutcomeExtras,
  parseHarnessReport,
  RESULT_MIME,
  reportToOutcome,
  timeoutErrorInfo,
} from "./harness.js";
export { OutputCollector } from "./output-collector.js";
