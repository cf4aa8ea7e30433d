import { Arn, ArnFormat, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { workflowError } from './errors';
import { WorkflowType } from './types';
import type { IWorkflow, WorkflowClientGrantOptions } from './workflow';

export type { WorkflowClientGrantOptions };
import { CheckpointTable } from '../defaults/checkpoint-table';


/** What a workflow may carry besides `IWorkflow` (Workflow, CheckpointedWorkflow). */
interface WorkflowExtras {
  readonly table?: unknown;
  readonly namespace?: unknown;
  readonly encryptionKey?: kms.IKey;
}

/**
 * Grants `grantee` exactly what `WorkflowClient` (`cdk-stateful-workflows/client`) calls for
 * `workflow`, and nothing else:
 *
 * - on the state machine: `states:StartExecution` (Standard; Express only for a checkpointed
 *   workflow, the one case where the client starts Express executions asynchronously),
 *   `states:StartSyncExecution` (Express) and `states:ListExecutions` (Standard);
 * - on its executions (`arn:...:execution:<machine name>:*`, Standard only — Express executions
 *   cannot be described, listed, stopped or redriven): `states:DescribeExecution`,
 *   `states:GetExecutionHistory`, `states:StopExecution`, `states:RedriveExecution`;
 * - with a checkpoint table: `dynamodb:GetItem` and `dynamodb:Query` on the table, limited by
 *   `dynamodb:LeadingKeys` to the workflow's namespace;
 * - with customer-managed keys: `kms:Decrypt` (+ `kms:GenerateDataKey` to start executions) on the
 *   state machine's key for that state machine only, and `kms:Decrypt` on the table's key.
 *
 * Resource types per action: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html
 * Leading keys: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html
 * Customer-managed keys (callers need kms:GenerateDataKey to start, kms:Decrypt to read data):
 * https://docs.aws.amazon.com/step-functions/latest/dg/encryption-at-rest.html
 */
export function grantWorkflowClient(workflow: IWorkflow, grantee: iam.IGrantable, options: WorkflowClientGrantOptions = {}): iam.Grant {
  const extras = workflow as unknown as WorkflowExtras;
  const machine = workflow.stateMachine;
  const stack = Stack.of(workflow);
  const standard = workflow.workflowType !== WorkflowType.EXPRESS;
  const table = options.checkpointTable ?? (extras.table instanceof CheckpointTable ? extras.table : undefined);
  const namespace = options.checkpointNamespace
    ?? (!options.checkpointTable && table && typeof extras.namespace === 'string' ? extras.namespace : undefined);

  const machineActions = standard
    ? ['states:StartExecution', 'states:ListExecutions']
    : [...(table ? ['states:StartExecution'] : []), 'states:StartSyncExecution'];
  let grant = iam.Grant.addToPrincipal({ grantee, actions: machineActions, resourceArns: [machine.stateMachineArn] });

  if (standard) {
    const machineName = Arn.split(machine.stateMachineArn, ArnFormat.COLON_RESOURCE_NAME).resourceName;
    const executions = stack.formatArn({ service: 'states', resource: 'execution', resourceName: `${machineName}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    grant = grant.combine(iam.Grant.addToPrincipal({
      grantee,
      actions: ['states:DescribeExecution', 'states:GetExecutionHistory', 'states:StopExecution', 'states:RedriveExecution'],
      resourceArns: [executions],
    }));
  }

  if (extras.encryptionKey) {
    grant = grant.combine(iam.Grant.addToPrincipal({
      grantee,
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resourceArns: [extras.encryptionKey.keyArn],
      conditions: { StringEquals: { 'kms:EncryptionContext:aws:states:stateMachineArn': machine.stateMachineArn } },
    }));
  }

  if (table) {
    if (namespace !== undefined && !Token.isUnresolved(namespace) && /[*?]/.test(namespace)) {
      throw workflowError(workflow, `grantWorkflowClient: checkpoint namespace '${namespace}' contains '*' or '?', which IAM would read as wildcards. Use a namespace without them.`);
    }
    grant = grant.combine(iam.Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:GetItem', 'dynamodb:Query'],
      resourceArns: [table.tableArn],
      conditions: namespace === undefined ? undefined : { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${namespace}#*`] } },
    }));
    if (table.encryptionKey) {
      grant = grant.combine(table.encryptionKey.grantDecrypt(grantee));
    }
  }
  return grant;
}
