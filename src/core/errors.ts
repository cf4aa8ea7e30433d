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

/**
 * `'a', 'b', 'c'` for an error message; a long list keeps its first and last names and says how
 * many it has (`'S1', 'S2', 'S3', … 'S998' (998 steps)`), so a 1,000-step workflow's error stays
 * readable.
 *
 * @internal
 */
export function quotedNames(names: readonly string[], noun = 'steps', max = 6): string {
  const quote = (n: string) => `'${n}'`;
  if (names.length <= max) {
    return names.map(quote).join(', ');
  }
  return `${names.slice(0, max - 1).map(quote).join(', ')}, … ${quote(names[names.length - 1])} (${names.length} ${noun})`;
}
