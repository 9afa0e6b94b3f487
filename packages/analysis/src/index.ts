export { ANALYZER_VERSION, type AnalysisSettings, analyzeWith, createAnalyzer, formatFeedback, resolveSettings } from "./analyzer.js";
export { type AnalyzerOptions, CAPABILITY_MODES, GLOBAL_MODES } from "./options.js";
export { PythonParser } from "./parser.js";
export { type ApprovalDecision, decideApproval } from "./policy.js";
export { FIXED_RULES, type RuleLevel, SECURITY_RULES, type SecurityRuleId } from "./rules.js";
