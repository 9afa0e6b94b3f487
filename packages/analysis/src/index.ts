export { AnalysisCache, DEFAULT_CACHE_ENTRIES } from "./analysis-cache.js";
export { ANALYZER_VERSION, type AnalysisSettings, type AnalyzerRuntime, analyzeWith, createAnalyzer, formatFeedback, resolveSettings } from "./analyzer.js";
export { type AnalyzerOptions, CAPABILITY_MODES, GLOBAL_MODES } from "./options.js";
export { PARSER_ENGINES, PARSER_ENV, type ParserEngine, type ParserEngineChoice, PythonParser } from "./parser.js";
export { type ApprovalDecision, decideApproval } from "./policy.js";
export { FIXED_RULES, type RuleLevel, SECURITY_RULES, type SecurityRuleId } from "./rules.js";
