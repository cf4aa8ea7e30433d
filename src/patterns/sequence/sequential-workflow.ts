import { Construct } from 'constructs';
import { workflowError } from '../../core/errors';
import { IWorkflowStep } from '../../core/step';
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
      throw workflowError(this, 'steps is empty. Give at least one step (Step.lambda, Step.awsSdk, Step.callback, Step.childWorkflow, Step.pass).');
    }
    const states = props.steps.map((step, i) => {
      if (!step || typeof step.name !== 'string') {
        throw workflowError(this, `steps[${i}] is ${step === undefined ? 'undefined' : JSON.stringify(step)}, not a workflow step. Build steps with Step.lambda(...), Step.awsSdk(...), Step.callback(...), Step.childWorkflow(...) or Step.pass(...).`);
      }
      return this.bindStep(step, { resultPath: this.resultPathOf(step.name) }).state;
    });
    this.createStateMachine(this.chainStates(states));
  }
}
