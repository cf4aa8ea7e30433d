import { IConstruct } from 'constructs';
import { workflowError } from '../core/errors';
import { StepOptions } from '../core/step';

/**
 * The `ResultSelector` of a step: the pattern's (placement) or the step's own
 * (`resultSelector`, or `{}` for `discardResult`). Both at once are refused.
 * @internal
 */
export function stepResultSelector(
  scope: IConstruct, stepName: string, own: StepOptions, placement: { [key: string]: any } | undefined,
): { [key: string]: any } | undefined {
  if (own.discardResult && own.resultSelector) {
    throw workflowError(scope, `step '${stepName}' sets both resultSelector and discardResult. Keep part of the result with resultSelector, or nothing with discardResult, not both.`);
  }
  const ownSelector = own.discardResult ? {} : own.resultSelector;
  if (ownSelector !== undefined && placement !== undefined) {
    // A pattern that wraps the whole result (`{ 'output.$': '$', ... }`, e.g. a tolerant fan-out)
    // gets the step's own selection in its place: `{ output: { ...selection }, ... }`.
    const wrapping = Object.entries(placement).filter(([key, value]) => key.endsWith('.$') && value === '$');
    if (wrapping.length === 1) {
      const [key] = wrapping[0];
      const composed: { [key: string]: any } = {};
      for (const [k, v] of Object.entries(placement)) {
        if (k === key) {
          composed[key.slice(0, -2)] = ownSelector;
        } else {
          composed[k] = v;
        }
      }
      return composed;
    }
    throw workflowError(scope, `step '${stepName}' sets ${own.discardResult ? 'discardResult' : 'resultSelector'}, but the pattern already reshapes this step's result (${JSON.stringify(placement)}). Drop the step's option here.`);
  }
  if (ownSelector !== undefined && (typeof ownSelector !== 'object' || Array.isArray(ownSelector))) {
    throw workflowError(scope, `step '${stepName}': resultSelector is ${JSON.stringify(ownSelector)}; it must be an object of JSONPath selections such as { 'id.$': '$.id' }.`);
  }
  return placement ?? ownSelector;
}
