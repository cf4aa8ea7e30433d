import { expectWithinLimits, functions, newApp } from './helpers';
import { CheckpointedWorkflow, Step } from '../../src';

/*
 * Issue 12, "Scale": 200-step workflows of every pattern within every limit, and a clear
 * synth-time error (naming the construct, the measured value, the limit and the fix) where a
 * workflow cannot fit. Realistic shapes: the USER creates the functions, and 200 steps x 2
 * functions cannot fit one stack in any design, so the steps here share 20 functions.
 */


describe('CheckpointedWorkflow at scale (issue 12)', () => {
  test('a 100-step CheckpointedWorkflow fits; a 200-step one is refused at synth with the measured definition size, the limit and the fix', () => {
    const fits = newApp();
    const fns = functions(fits.stack, 20);
    new CheckpointedWorkflow(fits.stack, 'Job', { keyPath: '$.orderId', steps: Array.from({ length: 100 }, (_, i) => ({ step: Step.lambda(`Do ${i}`, fns[i % 20]) })) });
    expectWithinLimits(fits.app.synth().getStackByName('Big').template);

    const big = newApp();
    const fns2 = functions(big.stack, 20);
    new CheckpointedWorkflow(big.stack, 'Job', { keyPath: '$.orderId', steps: Array.from({ length: 200 }, (_, i) => ({ step: Step.lambda(`Do ${i}`, fns2[i % 20]) })) });
    expect(() => big.app.synth()).toThrow(/\[Big\/Job\] the state machine definition is 1\d{6} bytes \(\d+ states, .*above the Step Functions limit of 1048576 bytes .*Step\.childWorkflow/);
  });
});
