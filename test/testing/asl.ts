/** Hand-written ASL templates for the runner's tests (no CDK synthesis: fast and exact). */

export const FN = 'arn:aws:lambda:us-east-1:123456789012:function:Work';
export const T0 = '2026-01-01T00:00:00.000Z';
/** A base clock frozen at {@link T0}: virtual time then moves only by skipping and advance(). */
export const frozen = () => new Date(T0);

/** A template with one state machine running `definition`, plus extra resources. */
export function templateWith(definition: object, props: Record<string, unknown> = {}, resources: Record<string, unknown> = {}) {
  return {
    Resources: {
      Machine: { Type: 'AWS::StepFunctions::StateMachine', Properties: { DefinitionString: JSON.stringify(definition), ...props } },
      ...resources,
    },
  };
}

/** A Pass state recording `$$.State.EnteredTime` at `$.times.<key>`. */
export function stamp(key: string, next?: string) {
  return { Type: 'Pass', Parameters: { 't.$': '$$.State.EnteredTime' }, ResultPath: `$.times.${key}`, ...(next ? { Next: next } : { End: true }) };
}
