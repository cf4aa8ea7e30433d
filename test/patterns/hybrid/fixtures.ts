/**
 * Shared pieces of the child-workflow tests: a minimal parent pattern with a Catch, and helpers to
 * read the rendered template.
 */
import { Template } from 'aws-cdk-lib/assertions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { IWorkflowStep, StepPlacement, Workflow, WorkflowProps } from '../../../src';
import { isRetriable } from '../../../src/steps/retry';

export interface TestParentProps extends WorkflowProps {
  /** The step under test, or a factory given the parent itself (to build self-calls). */
  readonly step: IWorkflowStep | ((self: Workflow) => IWorkflowStep);
  /** Where the step is placed. */
  readonly placement?: StepPlacement;
  /** Errors routed to the 'Handled' state (which stores the caught error at $.caught). */
  readonly catchErrors?: string[];
}

/** A parent pattern with one step and one Catch: enough to show how a pattern sees the step. */
export class TestParent extends Workflow {
  public constructor(scope: Construct, id: string, props: TestParentProps) {
    super(scope, id, props);
    const step = typeof props.step === 'function' ? props.step(this) : props.step;
    const binding = this.bindStep(step, props.placement ?? { resultPath: '$.results.child' });
    if (props.catchErrors && isRetriable(binding.state)) {
      this.claimStateName('Handled');
      binding.state.addCatch(new sfn.Pass(this, 'Handled', { parameters: { 'caught.$': '$.error' } }), { errors: props.catchErrors, resultPath: '$.error' });
    }
    this.createStateMachine(binding.state);
  }
}

/** Logical id of a workflow's state machine. */
export function machineId(template: Template, workflowId: string): string {
  const ids = Object.keys(template.findResources('AWS::StepFunctions::StateMachine')).filter((id) => id.startsWith(`${workflowId}StateMachine`));
  if (ids.length !== 1) throw new Error(`expected one state machine of ${workflowId}, found ${ids.join(', ') || 'none'}`);
  return ids[0];
}

/** The statements of a workflow's role (default policy, then library policy), minus the logging and X-Ray ones every workflow has. */
export function taskStatements(template: Template, workflowId: string): any[] {
  const policies = template.findResources('AWS::IAM::Policy');
  const id = Object.keys(policies).find((p) => p.startsWith(`${workflowId}StateMachineRoleDefaultPolicy`));
  if (!id) throw new Error(`no default policy for ${workflowId}`);
  // then the statements of the role's LibraryPolicy (src/nag): the wildcard ones the library acknowledges
  const managed = template.findResources('AWS::IAM::ManagedPolicy');
  const libraryId = Object.keys(managed).find((p) => p.startsWith(`${workflowId}StateMachineRoleLibraryPolicy`));
  return [
    ...(policies[id].Properties.PolicyDocument.Statement as any[]),
    ...(libraryId ? managed[libraryId].Properties.PolicyDocument.Statement as any[] : []),
  ].filter((s) => !JSON.stringify(s.Action).match(/logs:|xray:/));
}
