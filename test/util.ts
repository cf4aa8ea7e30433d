import { execFileSync } from 'child_process';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { WorkflowFunction, WorkflowFunctionProps } from '../src';

/** The retrier every Lambda step renders by default (transient Lambda errors, 1 s x2 up to 30 s, full jitter). */
export const DEFAULT_LAMBDA_RETRY = {
  ErrorEquals: [
    'Lambda.ServiceException',
    'Lambda.AWSLambdaException',
    'Lambda.SdkClientException',
    'Lambda.TooManyRequestsException',
    'Lambda.ClientExecutionTimeoutException',
  ],
  IntervalSeconds: 1,
  MaxAttempts: 3,
  BackoffRate: 2,
  MaxDelaySeconds: 30,
  JitterStrategy: 'FULL',
};

/** A stack in a fresh app with a fixed environment. */
export function newStack(id = 'TestStack'): Stack {
  const app = new App();
  return new Stack(app, id, { env: { account: '123456789012', region: 'us-east-1' } });
}

/** A WorkflowFunction with inline code (no bundling) for tests. */
export function inlineFunction(scope: Construct, id: string, props: Partial<WorkflowFunctionProps> = {}): WorkflowFunction {
  return new WorkflowFunction(scope, id, {
    code: lambda.Code.fromInline('exports.handler = async (e) => e;'),
    ...props,
  });
}

/**
 * The ASL of a state machine in a synthesized template, with CloudFormation intrinsics replaced by
 * readable placeholders: `${Ref:LogicalId}`, `${GetAtt:LogicalId.Attr}`, `${AWS::Region}`.
 */
export function aslOf(template: Template, logicalId?: string): any {
  const machines = template.findResources('AWS::StepFunctions::StateMachine');
  const id = logicalId ?? Object.keys(machines)[0];
  const body = machines[id].Properties.DefinitionString;
  return JSON.parse(flatten(body));
}

function flatten(value: any): string {
  if (typeof value === 'string') return value;
  if (value['Fn::Join']) {
    const [sep, parts] = value['Fn::Join'];
    return parts.map(flatten).join(sep);
  }
  if (value.Ref) return value.Ref.startsWith('AWS::') ? `\${${value.Ref}}` : `\${Ref:${value.Ref}}`;
  if (value['Fn::GetAtt']) return `\${GetAtt:${value['Fn::GetAtt'].join('.')}}`;
  throw new Error(`unexpected intrinsic in definition: ${JSON.stringify(value)}`);
}

/** The logical id of the only resource of a type whose logical id contains `hint`. */
export function logicalIdOf(template: Template, type: string, hint: string): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => id.includes(hint));
  if (ids.length !== 1) {
    throw new Error(`expected one ${type} matching ${hint}, found ${ids.join(', ') || 'none'}`);
  }
  return ids[0];
}

/** The message of the error `fn` throws, or '' when it throws none (so a match on it fails). */
export function thrownMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  return '';
}

/**
 * Runs `script` (CommonJS, TypeScript through tsx) in a fresh Node.js process at the repository's
 * root and returns what it wrote to stdout: for facts a jest process cannot show, such as which
 * modules a `require` loads.
 */
export function runInFreshNode(script: string, options: { env?: NodeJS.ProcessEnv; stderr?: 'ignore' | 'inherit' } = {}): string {
  return execFileSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], {
    cwd: path.join(__dirname, '..'),
    env: options.env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', options.stderr ?? 'ignore'],
  });
}
