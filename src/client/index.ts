/**
 * `cdk-stateful-workflows/client`: operate deployed workflows from application code — start an
 * execution idempotently by business key, read its status (execution, checkpoint progress, saga
 * outcome), wait for its result, stop, retry or redrive it, and find stuck executions.
 *
 * TypeScript-only entry point (not part of the jsii API). It loads `@aws-sdk/client-sfn` and
 * `@aws-sdk/client-dynamodb` only when a method needs them. See docs/client.md.
 */
export { WorkflowClient, WorkflowClientError, SAGA_COMPENSATION_FAILED_ERROR, SAGA_ROLLED_BACK_STATE } from './workflow-client';
export type {
  ExecutionOutcome,
  ListStuckOptions,
  ResultOptions,
  SagaOutcome,
  StartedExecution,
  StopOptions,
  StuckExecution,
  WorkflowClientCheckpointOptions,
  WorkflowClientCredentials,
  WorkflowClientOptions,
  WorkflowStatus,
} from './workflow-client';
export { executionNameForKey, MAX_EXECUTION_NAME_LENGTH } from './execution-name';
export type { ExecutionNameOptions } from './execution-name';
export type { CheckpointProgress, CompletedStep } from '../patterns/checkpoint/checkpoint-client';
