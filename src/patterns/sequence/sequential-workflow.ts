import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { workflowError } from '../../core/errors';
import { IWorkflowStep } from '../../core/step';
import { stepResultKey } from '../../core/validation';
import { Workflow, WorkflowProps } from '../../core/workflow';

/**
 * Properties of a `SequentialWorkflow`.
 */
export interface SequentialWorkflowProps extends WorkflowProps {
  /** The steps, run in order. */
  readonly steps: IWorkflowStep[];
}

/**
 * The plainest pattern: steps run one after another with the library's defaults. Each step
 * receives the workflow state (the input plus `results`) and its result is stored at
 * `$.results.<step key>` (the step name with characters other than letters, digits and `_`
 * replaced by `_`). Useful on its own and as the baseline the other patterns are measured against.
 */
export class SequentialWorkflow extends Workflow {
  public constructor(scope: Construct, id: string, props: SequentialWorkflowProps) {
    super(scope, id, props);
    if (!props.steps || props.steps.length === 0) {
      throw workflowError(this, 'steps is empty. Give at least one step (Step.lambda, Step.awsSdk, Step.pass).');
    }
    const keys = new Map<string, string>();
    let chain: sfn.Chain | undefined;
    for (const step of props.steps) {
      const key = stepResultKey(step.name);
      const clash = keys.get(key);
      if (clash !== undefined && clash !== step.name) {
        throw workflowError(this, `steps '${clash}' and '${step.name}' would both store their result at $.results.${key}. Rename one of them.`);
      }
      keys.set(key, step.name);
      const binding = this.bindStep(step, { resultPath: `$.results.${key}` });
      chain = chain ? chain.next(binding.state) : sfn.Chain.start(binding.state);
    }
    this.createStateMachine(chain!);
  }
}
