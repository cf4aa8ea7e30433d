/**
 * `cdk-stateful-workflows/testing`: run synthesized workflows locally in jest, and
 * normalize templates for snapshot tests.
 *
 * This entry point is TypeScript-only (not part of the jsii API). Its heavy dependencies
 * (`aws-local-stepfunctions`, `dynalite`) are optional peer dependencies, loaded only when a
 * runner is created.
 */
export { LocalWorkflowRunner } from './runner';
export type { LocalWorkflowRunnerOptions, PendingCallback, WorkflowSource } from './runner';
export { MAX_PAYLOAD_BYTES, MAX_HISTORY_EVENTS, EXPRESS_MAX_SECONDS, STANDARD_MAX_SECONDS } from './runner';
export type { LocalSfnServer, ServeOptions, ServedExecution } from './server';
export type {
  ExecutionRecord,
  ExecutionStatus,
  MetricRecord,
  RetryRecord,
  RunOptions,
  RunResult,
  RunStateEvent,
  TaskHandler,
  TaskHandlerContext,
} from './types';
export { Faults } from './faults';
export type { CrashAfterFault, FailFault, StepFault, TimeoutFault } from './faults';
export { StatesError } from './errors';
export { FAKE_ACCOUNT, FAKE_PARTITION, FAKE_REGION } from './template-resolver';
export { normalizeTemplate, normalizedTemplate, ASSET_BUCKET_MASK, ASSET_HASH_MASK, VERSION_HASH_MASK } from './normalize';
export {
  costReport, formatCostReport,
  STEP_FUNCTIONS_PRICING_URL, STEP_FUNCTIONS_PRICES_CHECKED, STEP_FUNCTIONS_PRICES_REGION,
  STANDARD_USD_PER_STATE_TRANSITION, STANDARD_FREE_TIER_TRANSITIONS_PER_MONTH,
  EXPRESS_USD_PER_REQUEST, EXPRESS_USD_PER_GB_SECOND, EXPRESS_DURATION_INCREMENT_MS, EXPRESS_MEMORY_INCREMENT_MB,
} from './cost-report';
export type { CostReport, CostReportOptions, MachineCost } from './cost-report';
