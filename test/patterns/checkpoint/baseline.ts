import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { decompose, Element, leavesOf } from '../../../src/patterns/checkpoint/dag';

/**
 * The same steps WITHOUT checkpointing, hand-written with plain aws-cdk-lib states: Lambda tasks
 * (alias ARN, result at `$.results.<name>`) chained and grouped in Parallel states exactly like the
 * checkpointed workflow's fresh path, so that the difference in transitions is the checkpointing.
 */
export function baselineMachine(
  scope: Construct,
  id: string,
  target: lambda.IFunction,
  dependsOn: Record<string, string[]>,
  type = sfn.StateMachineType.STANDARD,
): sfn.StateMachine {
  const names = Object.keys(dependsOn);
  const plan = decompose(names, new Map(Object.entries(dependsOn)));
  let blocks = 0;
  const task = (name: string) => new tasks.LambdaInvoke(scope, `${id}-${name}`, {
    stateName: name,
    lambdaFunction: target,
    payloadResponseOnly: true,
    retryOnServiceExceptions: false,
    resultPath: `$.results.${name}`,
  });
  const chain = (series: Element[], known: string[]): sfn.Chain => {
    let c: sfn.Chain | undefined;
    let k = known;
    for (const element of series) {
      let state: sfn.IChainable;
      if (element.kind === 'leaf') {
        state = task(element.name);
      } else {
        const selector: Record<string, string> = {};
        k.forEach((n) => (selector[`${n}.$`] = `$[0].results.${n}`));
        element.branches.forEach((b, i) => b.flatMap(leavesOf).forEach((n) => (selector[`${n}.$`] = `$[${i}].results.${n}`)));
        const parallel = new sfn.Parallel(scope, `${id}-Parallel${++blocks}`, { stateName: `Parallel ${blocks}`, resultSelector: selector, resultPath: '$.results' });
        element.branches.forEach((b) => parallel.branch(chain(b, k)));
        state = parallel;
      }
      k = [...k, ...leavesOf(element)];
      c = c ? c.next(state) : sfn.Chain.start(state);
    }
    return c!;
  };
  return new sfn.StateMachine(scope, id, {
    stateMachineType: type,
    definitionBody: sfn.DefinitionBody.fromChainable(chain(plan.series, [])),
  });
}
