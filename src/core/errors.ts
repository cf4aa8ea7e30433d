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
 * `a, b, c` for an error message; a list longer than `max` keeps its first `max - 1` items and its
 * last (`a, b, c, d, … z`), so a 1,000-step workflow's error stays readable.
 *
 * @internal
 */
export function abbreviatedList(items: readonly string[], max = 6): string {
  if (items.length <= max) {
    return items.join(', ');
  }
  return `${items.slice(0, max - 1).join(', ')}, … ${items[items.length - 1]}`;
}

/**
 * `'a', 'b', 'c'` for an error message; a long list is abbreviated (see `abbreviatedList`) and says
 * how many it has (`'S1', 'S2', 'S3', … 'S998' (998 steps)`).
 *
 * @internal
 */
export function quotedNames(names: readonly string[], noun = 'steps', max = 6): string {
  const list = abbreviatedList(names.map((n) => `'${n}'`), max);
  return names.length <= max ? list : `${list} (${names.length} ${noun})`;
}
