/** @chat/loadtest: the load-testing harness. `runLoad` is what the CLI and the tests use. */
export { runLoad } from './run';
export type { LoadOptions, ProgressSnapshot } from './options';
export { resolveOptions } from './options';
export type { LoadReport, MemberFinding, StepSummary, TimelinePoint, WorkerSummary } from './report/types';
export { LoadTestError } from './errors';
export type { LoadTestErrorCode } from './errors';
export { scenarioSchema, parseScenario, presetScenario, loadScenarioFile, PRESET_NAMES } from './scenario';
export type { Scenario, ScenarioInput, PresetName } from './scenario';
export { parseCliArgs, USAGE } from './args';
export { formatProgress } from './progress';
// Pure pieces, exported for reuse and tests.
export { SeqStream, SeqTracker, rangesHave } from './streams';
export type { StreamCounts, SeqRanges } from './streams';
export { computeLoss } from './loss';
export type { SendRecord, Membership, LossResult } from './loss';
export { RampController, judgeStep } from './ramp';
export type { RampConfig, RampDecision, Bounds, StepOutcome, BreakReason } from './ramp';
export { createHistogram, encodeHistogram, decodeHistogram, mergeEncoded, summarize } from './hist';
export type { LatencySummary } from './hist';
export { encodePayload, decodePayload } from './content';
export { planClients, localRate, churnersPerRoom } from './plan';
export { renderTable } from './report/table';
export { renderHtml } from './report/html';
export { writeReportFiles } from './report/write';
export { parseRssMb } from './proc';
