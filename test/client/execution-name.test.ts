import { executionNameForKey, MAX_EXECUTION_NAME_LENGTH, WorkflowClient } from '../../src/client';
import { runInFreshNode } from '../util';

/** StartExecution's name rules. https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html */
const VALID = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/;

describe('executionNameForKey', () => {
  test('readable, deterministic, valid for ordinary keys', () => {
    const name = executionNameForKey('order-42');
    expect(name).toMatch(/^order-42-[0-9a-f]{16}$/);
    expect(executionNameForKey('order-42')).toBe(name);
    expect(name).toMatch(VALID);
  });

  test('odd and long keys give valid, ASCII names of at most 80 characters; different keys never share one', () => {
    const keys = ['order/1', 'order_1', 'a b', 'ü€😀', '"#%\\^|~`$&,;:/', 'x'.repeat(500), 'x'.repeat(499) + 'y', '\u0000\u007f', '[]{}<>?*'];
    const names = keys.map((k) => executionNameForKey(k));
    for (const name of names) {
      expect(name).toMatch(VALID);
      expect(name).toMatch(/^[\x20-\x7e]+$/);
      expect(name.length).toBeLessThanOrEqual(MAX_EXECUTION_NAME_LENGTH);
    }
    expect(new Set(names).size).toBe(keys.length);
    expect(names[0].startsWith('order_1-')).toBe(true);
    expect(names[0]).not.toBe(names[1]);
  });

  test('attempts: attempt 1 is the plain name, then -a2, -a3 ...; still valid at the longest', () => {
    const key = 'k'.repeat(200);
    expect(executionNameForKey(key, { attempt: 1 })).toBe(executionNameForKey(key));
    expect(executionNameForKey(key, { attempt: 2 })).toBe(`${executionNameForKey(key)}-a2`);
    expect(executionNameForKey(key, { attempt: 99_999 })).toMatch(VALID);
  });

  test('bad keys and attempts are refused with the value and the fix', () => {
    expect(() => executionNameForKey('')).toThrow(/non-empty string; got ""/);
    expect(() => executionNameForKey(42 as any)).toThrow(/Pass numbers as their decimal text/);
    expect(() => executionNameForKey('k', { attempt: 0 })).toThrow(/attempt must be an integer from 1 to 99999; got 0/);
  });
});

describe('the client entry point loads no SDK until used', () => {
  test('GIVEN cdk-stateful-workflows/client WHEN imported (and a client constructed) THEN no @aws-sdk module is loaded', () => {
    const script = [
      "const { WorkflowClient, executionNameForKey } = require('./src/client');",
      "new WorkflowClient({ stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:M' });",
      'executionNameForKey("k");',
      'const loaded = Object.keys(require.cache).filter((k) => /node_modules[\\\\/]@aws-sdk[\\\\/]/.test(k));',
      "require('@aws-sdk/client-sfn');",
      'const after = Object.keys(require.cache).some((k) => /@aws-sdk[\\\\/]client-sfn/.test(k));',
      'process.stdout.write(JSON.stringify({ loaded, after }));',
    ].join('\n');
    const out = runInFreshNode(script);
    expect(JSON.parse(out)).toEqual({ loaded: [], after: true });
  });
});

describe('WorkflowClient options', () => {
  test('a bad state machine ARN is refused with the value and the fix', () => {
    expect(() => new WorkflowClient({ stateMachineArn: 'orders' })).toThrow(/stateMachineArn "orders" is not a state machine ARN .* Pass workflow.stateMachineArn/);
    expect(() => new WorkflowClient({ stateMachineArn: 'arn:aws:states:us-east-1:1:stateMachine:M', type: 'FAST' as any })).toThrow(/type "FAST" must be 'STANDARD' or 'EXPRESS'/);
    expect(() => new WorkflowClient({ stateMachineArn: 'arn:aws:states:us-east-1:1:stateMachine:M', checkpoint: { tableName: 't', namespace: '', stepNames: ['a'] } }))
      .toThrow(/checkpoint needs tableName, namespace and stepNames/);
  });

  test('executions started through an alias or version ARN are the state machine\'s executions', () => {
    const client = new WorkflowClient({ stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:Orders:live' });
    expect(client.executionArn('o-1')).toBe(`arn:aws:states:us-east-1:123456789012:execution:Orders:${executionNameForKey('o-1')}`);
    expect(client.executionArn('o-1', 2)).toBe(`arn:aws:states:us-east-1:123456789012:execution:Orders:${executionNameForKey('o-1')}-a2`);
  });
});
