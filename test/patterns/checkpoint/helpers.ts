import * as ddb from '@aws-sdk/client-dynamodb';
import { CheckpointedWorkflow } from '../../../src';
import { coordinate, CoordinatorEvent } from '../../../src/patterns/checkpoint/coordinator';
import type { LocalWorkflowRunner, RunResult, TaskHandler } from '../../../src/testing';

/** A clock the coordinator reads; tests move it forward to let leases expire. */
export class FakeClock {
  public nowMs = Date.now();
  /** Per business key: the step keys whose checkpoints the last coordinator call loaded. */
  public readonly loaded = new Map<string, string[]>();
  /** Moves the clock forward by `seconds`. */
  public advance(seconds: number): void {
    this.nowMs += seconds * 1000;
  }
}

/**
 * The local runner handler of the coordinator state: the real coordinator logic (the very function
 * whose source is deployed inline), against the runner's dynalite, with a fake clock.
 */
export function coordinatorHandler(runner: () => LocalWorkflowRunner, clock: FakeClock): TaskHandler {
  return async (event: CoordinatorEvent) => {
    const state: any = await coordinate(event, {
      dynamodb: (action, params) => runner().dynamodb.send(new (ddb as any)[`${action}Command`](params)),
      now: () => clock.nowMs,
    });
    clock.loaded.set(state.checkpoint.key, Object.keys(state.checkpoint.done).sort());
    return state;
  };
}

/**
 * Handlers for every state that runs a step (fresh and resume copies), each recording its calls
 * per step name, plus the coordinator.
 */
export function stepHandlers(
  workflow: CheckpointedWorkflow,
  runner: () => LocalWorkflowRunner,
  clock: FakeClock,
  impl: (step: string, event: any) => unknown | Promise<unknown>,
  calls: Map<string, number>,
): Record<string, TaskHandler> {
  const handlers: Record<string, TaskHandler> = { [workflow.coordinatorStateName]: coordinatorHandler(runner, clock) };
  for (const step of workflow.stepNames) {
    for (const state of workflow.stateNamesOf(step)) {
      handlers[state] = async (event: any) => {
        calls.set(step, (calls.get(step) ?? 0) + 1);
        return impl(step, event);
      };
    }
  }
  return handlers;
}

/** Calls of each step in a run, summed over its fresh and resume states. */
export function stepCalls(workflow: CheckpointedWorkflow, result: RunResult): Record<string, number> {
  const out: Record<string, number> = {};
  for (const step of workflow.stepNames) {
    const n = workflow.stateNamesOf(step).reduce((sum, s) => sum + (result.calls[s] ?? 0), 0);
    if (n > 0) out[step] = n;
  }
  return out;
}

/** Counts per step name (for expectations). */
export function countsOf(steps: readonly string[]): Record<string, number> {
  return Object.fromEntries(steps.map((s) => [s, 1]));
}

/**
 * Waits for the tasks a crashed run left in flight (parallel branches keep running their current
 * task after the runner stops the run) before the next run of the same key, as the lease would
 * make a real rerun wait for the dead execution.
 */
export async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 50));
}

/**
 * The DAG the checkpoint tests share: a diamond (Ingest -> Resize -> Tag / Detect -> Merge), a
 * chain inside a branch (Resize -> Tag) and a parallel fan (Merge -> Fan1..Fan3 -> Publish).
 */
export const DIAMOND_CHAIN_FAN: Record<string, string[]> = {
  Ingest: [],
  Resize: ['Ingest'],
  Tag: ['Resize'],
  Detect: ['Ingest'],
  Merge: ['Tag', 'Detect'],
  Fan1: ['Merge'],
  Fan2: ['Merge'],
  Fan3: ['Merge'],
  Publish: ['Fan1', 'Fan2', 'Fan3'],
};

/**
 * Another writer (e.g. an execution whose lease was broken by hand) checkpoints `step` of the run
 * described by `event.checkpoint` first: the run's own checkpoint write must then conflict.
 */
export async function checkpointFirstAsSomeoneElse(
  runner: LocalWorkflowRunner, workflow: CheckpointedWorkflow, step: string, event: any,
): Promise<void> {
  await runner.dynamodb.send(new ddb.PutItemCommand({
    TableName: runner.tableName(workflow.table.table),
    Item: {
      pk: { S: event.checkpoint.partitionKey },
      sk: { S: `step#${step}` },
      step: { S: step },
      generation: { S: event.checkpoint.generation },
      executionId: { S: 'someone-else' },
      result: { S: '{}' },
      expiresAt: { N: event.checkpoint.expiresAt },
    },
  }));
}

/** Steps of `workflow` whose checkpoint holds a result for the key `id`, sorted. */
export async function checkpointedSteps(runner: LocalWorkflowRunner, workflow: CheckpointedWorkflow, id: string): Promise<string[]> {
  const items = await runner.dynamodb.send(new ddb.QueryCommand({
    TableName: runner.tableName(workflow.table.table),
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
    ExpressionAttributeValues: { ':pk': { S: `${workflow.namespace}#${id}` }, ':p': { S: 'step#' } },
  }));
  // placeholders (items the coordinator owns for steps not completed) hold no result
  return items.Items!.filter((i) => i.result).map((i) => i.step.S!).sort();
}
