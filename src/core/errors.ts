import { IConstruct } from 'constructs';

/**
 * Builds the error thrown for bad input at synth time.
 *
 * Every message names the construct (its path), the bad value and the fix, so a user reading
 * `cdk synth` output knows where to look and what to change.
 *
 * @internal
 */
export function workflowError(scope: IConstruct, message: string): Error {
  return new Error(`[${scope.node.path}] ${message}`);
}
