/** The scale benchmark's apps built with the library (see apps.ts). Loads the compiled lib/ when built. */
import * as fs from 'fs';
import * as path from 'path';
import { Duration, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type * as Library from '../../src';
import { actionName, CODE, isExpressStep, Pattern, undoName } from './apps';

// Users load compiled JavaScript; measure that when the build has produced lib/ (tsx-compiled src/ otherwise).
const compiled = path.join(__dirname, '..', '..', 'lib', 'index.js');
export const LIBRARY_SOURCE = fs.existsSync(compiled) ? 'lib' : 'src';
const lib: typeof Library = require(LIBRARY_SOURCE === 'lib' ? compiled : '../../src');
const { CheckpointedWorkflow, FanOutFanIn, HybridWorkflow, Saga, SequentialWorkflow, Step, WorkflowFunction } = lib;

function ourFn(scope: Construct, id: string): Library.WorkflowFunction {
  return new WorkflowFunction(scope, id, { code: lambda.Code.fromInline(CODE) });
}

export function build(stack: Stack, pattern: Pattern, n: number): void {
  switch (pattern) {
    case 'saga':
      new Saga(stack, 'Saga', {
        steps: Array.from({ length: n }, (_, i) => ({
          action: Step.lambda(actionName(i), ourFn(stack, `Act${i}`)),
          compensation: Step.lambda(undoName(i), ourFn(stack, `Undo${i}`)),
        })),
      });
      return;
    case 'checkpoint':
      new CheckpointedWorkflow(stack, 'Checkpointed', {
        keyPath: '$.jobId',
        steps: Array.from({ length: n }, (_, i) => ({ step: Step.lambda(actionName(i), ourFn(stack, `Fn${i}`)) })),
      });
      return;
    case 'hybrid':
      new HybridWorkflow(stack, 'Hybrid', {
        steps: Array.from({ length: n }, (_, i) => ({
          step: Step.lambda(actionName(i), ourFn(stack, `Fn${i}`), isExpressStep(i, n) ? { idempotent: true, timeout: Duration.seconds(35) } : {}),
          express: isExpressStep(i, n),
        })),
      });
      return;
    case 'sequential':
      new SequentialWorkflow(stack, 'Sequential', {
        steps: Array.from({ length: n }, (_, i) => Step.lambda(actionName(i), ourFn(stack, `Fn${i}`))),
      });
      return;
    case 'fan-out':
      // The fan-out's size is its item count, not its steps: n items expected, one worker, one aggregate.
      new FanOutFanIn(stack, 'FanOut', {
        itemsPath: '$.items',
        worker: Step.lambda('Process item', ourFn(stack, 'Item')),
        aggregate: Step.lambda('Aggregate', ourFn(stack, 'Aggregate')),
        expectedItems: n,
        maxConcurrency: 50,
      });
      return;
  }
}

