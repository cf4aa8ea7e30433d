/**
 * FanOutFanIn: the rendered ASL of both modes, the Distributed Map's IAM and S3 wiring, the AUTO
 * choice, the tolerance arithmetic, and every configuration error.
 */
import { Duration, Size } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { JsonPath } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { FanOutFanIn, FanOutFanInProps, FanOutItemSource, FanOutMode, IWorkflowStep, Step, StepBindOptions, StepBinding, WorkflowType } from '../../../src';
import { LocalWorkflowRunner } from '../../../src/testing';
import { aslOf, DEFAULT_LAMBDA_RETRY as LAMBDA_RETRY, inlineFunction, logicalIdOf, newStack } from '../../util';


/** A stack with a worker and an aggregate function, and a factory of fan-outs using them. */
function fixture(id = 'TestStack') {
  const stack = newStack(id);
  const workerFn = inlineFunction(stack, 'Worker');
  const summaryFn = inlineFunction(stack, 'Summary');
  const fanOut = (wfId: string, props: Partial<FanOutFanInProps> = {}) => new FanOutFanIn(stack, wfId, {
    worker: Step.lambda('Process item', workerFn),
    ...props,
  });
  return { stack, workerFn, summaryFn, fanOut };
}

/** A step that waits for a callback (`.waitForTaskToken`), rendered as its inner step. */
class CallbackStep implements IWorkflowStep {
  public readonly name: string;
  public readonly idempotent = true;
  public readonly waitsForCallback = true;
  public constructor(private readonly inner: IWorkflowStep) {
    this.name = inner.name;
  }
  public bind(scope: Construct, options: StepBindOptions): StepBinding {
    return this.inner.bind(scope, options);
  }
}

function machineId(template: Template, workflowId: string): string {
  return logicalIdOf(template, 'AWS::StepFunctions::StateMachine', `${workflowId}StateMachine`);
}

/** Resource logical ids that reference (Ref, GetAtt, DependsOn) each resource. */
function hasDependencyCycle(template: Template): string[] | undefined {
  const resources = template.toJSON().Resources as Record<string, any>;
  const edges = new Map<string, Set<string>>();
  const collect = (value: any, into: Set<string>): void => {
    if (Array.isArray(value)) {
      value.forEach((v) => collect(v, into));
    } else if (value && typeof value === 'object') {
      if (typeof value.Ref === 'string' && resources[value.Ref]) into.add(value.Ref);
      if (Array.isArray(value['Fn::GetAtt']) && resources[value['Fn::GetAtt'][0]]) into.add(value['Fn::GetAtt'][0]);
      Object.values(value).forEach((v) => collect(v, into));
    }
  };
  for (const [id, resource] of Object.entries(resources)) {
    const deps = new Set<string>();
    collect(resource.Properties, deps);
    for (const d of [resource.DependsOn ?? []].flat()) deps.add(d);
    edges.set(id, deps);
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, path: string[]): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'visiting') return [...path, id];
    state.set(id, 'visiting');
    for (const d of edges.get(id) ?? []) {
      const cycle = visit(d, [...path, id]);
      if (cycle) return cycle;
    }
    state.set(id, 'done');
    return undefined;
  };
  for (const id of edges.keys()) {
    const cycle = visit(id, []);
    if (cycle) return cycle;
  }
  return undefined;
}

function statementsOf(template: Template, policyHint: string): any[] {
  const policies = { ...template.findResources('AWS::IAM::Policy'), ...template.findResources('AWS::IAM::ManagedPolicy') };
  return Object.entries(policies)
    .filter(([id]) => id.includes(policyHint))
    .flatMap(([, p]: [string, any]) => p.Properties.PolicyDocument.Statement);
}

describe('inline mode: rendered ASL', () => {
  const { stack, fanOut, summaryFn } = fixture();
  const strict = fanOut('Strict', { aggregate: Step.lambda('Summarize', summaryFn) });
  fanOut('Tolerant', {
    aggregate: Step.lambda('Summarize', summaryFn),
    itemsPath: '$.records',
    maxConcurrency: 10,
    toleratedFailurePercentage: 10,
    toleratedFailureCount: 3,
  });
  const template = Template.fromStack(stack);
  const workerAlias = `\${Ref:${logicalIdOf(template, 'AWS::Lambda::Alias', 'WorkerAlias')}}`;
  const summaryAlias = `\${Ref:${logicalIdOf(template, 'AWS::Lambda::Alias', 'SummaryAlias')}}`;
  const worker = { Type: 'Task', Resource: workerAlias, TimeoutSeconds: 35, Retry: [LAMBDA_RETRY] };
  const summarize = { Type: 'Task', Resource: summaryAlias, TimeoutSeconds: 35, Retry: [LAMBDA_RETRY], End: true };

  test('AUTO picks INLINE for a plain list and explains why', () => {
    expect(strict.mode).toBe(FanOutMode.INLINE);
    expect(strict.modeReason).toBe('AUTO chose INLINE: at most 40 items at a time; expectedItems is not set (an inline Map fits about 2,854 items in 80% of the 25,000-event Standard history, at 7 events per item)');
    Annotations.fromStack(stack).hasInfo('/TestStack/Strict', Match.stringLikeRegexp('^FanOutFanIn runs INLINE\\. AUTO chose INLINE: at most 40 items'));
  });

  test('without a tolerance: one Map (cap 40 rendered), each item as { index, item }, raw results, then the aggregate', () => {
    expect(aslOf(template, machineId(template, 'Strict'))).toEqual({
      StartAt: 'Fan out',
      TimeoutSeconds: 3600,
      States: {
        'Fan out': {
          Type: 'Map',
          ItemsPath: '$.items',
          ItemSelector: { 'index.$': '$$.Map.Item.Index', 'item.$': '$$.Map.Item.Value' },
          MaxConcurrency: 40,
          ItemProcessor: {
            ProcessorConfig: { Mode: 'INLINE' },
            StartAt: 'Process item',
            States: { 'Process item': { ...worker, End: true } },
          },
          ResultSelector: { 'results.$': '$', 'total.$': 'States.ArrayLength($)', 'failedCount': 0 },
          ResultPath: '$.fanOut',
          Next: 'Summarize',
        },
        'Summarize': summarize,
      },
    });
  });

  test('with a tolerance: items caught and recorded, failures counted and compared in the ASL, FanOut.ToleranceExceeded beyond it', () => {
    const f = '$.fanOut.failedCount';
    // 10% as integers: failed * 10 > total * 1, as a balanced tree of additions
    const tenTimes = `States.MathAdd(States.MathAdd(States.MathAdd(${f}, ${f}), States.MathAdd(${f}, States.MathAdd(${f}, ${f}))), States.MathAdd(States.MathAdd(${f}, ${f}), States.MathAdd(${f}, States.MathAdd(${f}, ${f}))))`;
    expect(aslOf(template, machineId(template, 'Tolerant'))).toEqual({
      StartAt: 'Fan out: any items?',
      TimeoutSeconds: 3600,
      States: {
        'Fan out: any items?': {
          Type: 'Choice',
          Choices: [{ Variable: '$.records[0]', IsPresent: true, Next: 'Fan out' }],
          Default: 'Fan out: no items',
        },
        'Fan out: no items': {
          Type: 'Pass',
          Parameters: { 'results.$': '$.records', 'total.$': 'States.ArrayLength($.records)', 'failedCount': 0 },
          ResultPath: '$.fanOut',
          Next: 'Summarize',
        },
        'Fan out': {
          Type: 'Map',
          ItemsPath: '$.records',
          ItemSelector: { 'index.$': '$$.Map.Item.Index', 'item.$': '$$.Map.Item.Value' },
          MaxConcurrency: 10,
          ItemProcessor: {
            ProcessorConfig: { Mode: 'INLINE' },
            StartAt: 'Process item',
            States: {
              'Process item': {
                ...worker,
                ResultSelector: { 'failed': false, 'output.$': '$' },
                Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Fan out: item failed' }],
                End: true,
              },
              'Fan out: item failed': {
                Type: 'Pass',
                Parameters: { 'failed': true, 'index.$': '$.index', 'item.$': '$.item', 'error.$': '$.error' },
                End: true,
              },
            },
          },
          ResultSelector: {
            'results.$': '$',
            'total.$': 'States.ArrayLength($)',
            'failedItems.$': '$[?(@.failed == true)]',
          },
          ResultPath: '$.fanOut',
          Next: 'Fan out: count failures',
        },
        'Fan out: count failures': {
          Type: 'Pass',
          Parameters: { 'results.$': '$.fanOut.results', 'total.$': '$.fanOut.total', 'failedCount.$': 'States.ArrayLength($.fanOut.failedItems)' },
          ResultPath: '$.fanOut',
          Next: 'Fan out: evaluate tolerance',
        },
        'Fan out: evaluate tolerance': {
          Type: 'Pass',
          Parameters: {
            'summary.$': "States.Format('{} of {} items failed; tolerated: at most 10 percent of the items and at most 3 items.', $.fanOut.failedCount, $.fanOut.total)",
            'failedScaled.$': tenTimes,
            'allowedScaled.$': '$.fanOut.total',
          },
          ResultPath: '$.fanOut.tolerance',
          Next: 'Fan out: within tolerance?',
        },
        'Fan out: within tolerance?': {
          Type: 'Choice',
          Choices: [{
            Or: [
              { Variable: '$.fanOut.failedCount', NumericGreaterThan: 3 },
              { Variable: '$.fanOut.tolerance.failedScaled', NumericGreaterThanPath: '$.fanOut.tolerance.allowedScaled' },
            ],
            Next: 'Fan out: tolerance exceeded',
          }],
          Default: 'Summarize',
        },
        'Fan out: tolerance exceeded': { Type: 'Fail', Error: 'FanOut.ToleranceExceeded', CausePath: '$.fanOut.tolerance.summary' },
        'Summarize': summarize,
      },
    });
  });

  test('inline mode adds no Distributed Map permissions', () => {
    expect(Object.keys(template.findResources('AWS::IAM::Policy')).filter((id) => id.includes('DistributedMapPolicy'))).toEqual([]);
    expect(JSON.stringify(template.toJSON())).not.toContain('states:StartExecution');
  });
});

describe('distributed mode: items from S3, batching, tolerance, results to S3', () => {
  const { stack, fanOut, summaryFn } = fixture();
  const key = new kms.Key(stack, 'DataKey');
  const input = new s3.Bucket(stack, 'Input', { encryption: s3.BucketEncryption.KMS, encryptionKey: key, enforceSSL: true });
  const output = new s3.Bucket(stack, 'Output', { enforceSSL: true });
  const wf = fanOut('Import', {
    itemSource: FanOutItemSource.s3Json(input, 'exports/customers.json'),
    batchSize: 25,
    maxConcurrency: 200,
    toleratedFailurePercentage: 5,
    resultBucket: output,
    resultPrefix: 'runs/customers',
    aggregate: Step.lambda('Summarize', summaryFn),
  });
  const template = Template.fromStack(stack);
  const smId = machineId(template, 'Import');
  const roleId = logicalIdOf(template, 'AWS::IAM::Role', 'ImportStateMachineRole');
  const inputId = logicalIdOf(template, 'AWS::S3::Bucket', 'Input');
  const outputId = logicalIdOf(template, 'AWS::S3::Bucket', 'Output');
  const keyId = logicalIdOf(template, 'AWS::KMS::Key', 'DataKey');
  const workerAlias = logicalIdOf(template, 'AWS::Lambda::Alias', 'WorkerAlias');

  test('AUTO picks DISTRIBUTED and names every reason; children are Express', () => {
    expect(wf.mode).toBe(FanOutMode.DISTRIBUTED);
    expect(wf.childWorkflowType).toBe(WorkflowType.EXPRESS);
    expect(wf.modeReason).toBe('AUTO chose DISTRIBUTED: the items come from the JSON file \'exports/customers.json\' in S3 (an inline Map iterates only over the state input); '
      + 'batchSize 25 needs an ItemBatcher, which only a Distributed Map has; maxConcurrency 200 exceeds the 40 iterations an inline Map runs at a time; '
      + 'resultBucket is set, and only a Distributed Map writes its results to S3');
  });

  test('the Map renders ItemReader, ItemSelector, ItemBatcher, tolerance, label and ResultWriter, and maps the tolerance error', () => {
    const asl = aslOf(template, smId);
    expect(asl.StartAt).toBe('Fan out');
    expect(asl.States['Fan out']).toEqual({
      Type: 'Map',
      ItemReader: {
        Resource: 'arn:${AWS::Partition}:states:::s3:getObject',
        ReaderConfig: { InputType: 'JSON' },
        Parameters: { Bucket: `\${Ref:${inputId}}`, Key: 'exports/customers.json' },
      },
      ItemSelector: { 'index.$': '$$.Map.Item.Index', 'item.$': '$$.Map.Item.Value' },
      ItemBatcher: { MaxItemsPerBatch: 25 },
      MaxConcurrency: 200,
      ToleratedFailurePercentage: 5,
      Label: 'FanOut',
      ItemProcessor: {
        ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' },
        StartAt: 'Process item',
        States: { 'Process item': { Type: 'Task', Resource: `\${Ref:${workerAlias}}`, TimeoutSeconds: 35, Retry: [LAMBDA_RETRY], End: true } },
      },
      ResultWriter: {
        Resource: 'arn:${AWS::Partition}:states:::s3:putObject',
        Parameters: { Bucket: `\${Ref:${outputId}}`, Prefix: 'runs/customers' },
      },
      ResultSelector: { 'mapRunArn.$': '$.MapRunArn', 'resultWriterDetails.$': '$.ResultWriterDetails' },
      ResultPath: '$.fanOut',
      Catch: [{ ErrorEquals: ['States.ExceedToleratedFailureThreshold'], Next: 'Fan out: tolerance exceeded' }],
      Next: 'Summarize',
    });
    expect(asl.States['Fan out: tolerance exceeded']).toEqual({ Type: 'Fail', Error: 'FanOut.ToleranceExceeded', CausePath: '$.Cause' });
  });

  test('child executions: start, describe, stop and redrive of this state machine only, in a separate policy (no circular dependency)', () => {
    const executionArn = (suffix: string) => ({
      'Fn::Join': ['', [
        'arn:', { Ref: 'AWS::Partition' }, ':states:us-east-1:123456789012:execution:',
        { 'Fn::Select': [6, { 'Fn::Split': [':', { Ref: smId }] }] },
        suffix,
      ]],
    });
    expect(statementsOf(template, 'ImportStateMachineDistributedMapPolicy')).toEqual([
      { Action: 'states:StartExecution', Effect: 'Allow', Resource: { Ref: smId } },
      { Action: ['states:DescribeExecution', 'states:StopExecution'], Effect: 'Allow', Resource: executionArn(':*') },
      { Action: 'states:RedriveExecution', Effect: 'Allow', Resource: executionArn('/FanOut:*') },
    ]);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyName: Match.stringLikeRegexp('ImportStateMachineDistributedMapPolicy'),
      Roles: [{ Ref: roleId }],
    });
    // the state machine's own (default) policy never names the state machine, so it can be created first
    expect(JSON.stringify(statementsOf(template, 'ImportStateMachineRoleDefaultPolicy'))).not.toContain(smId);
    expect(hasDependencyCycle(template)).toBeUndefined();
  });

  test('S3: read exactly the source key (with its KMS key), write only under the result prefix', () => {
    // the ResultWriter's prefix wildcard is the library's own, explained: it lives in the role's LibraryPolicy
    const statements = [...statementsOf(template, 'ImportStateMachineRoleDefaultPolicy'), ...statementsOf(template, 'ImportStateMachineRoleLibraryPolicy')];
    expect(statements).toEqual(expect.arrayContaining([
      { Action: 's3:GetObject', Effect: 'Allow', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [inputId, 'Arn'] }, '/exports/customers.json']] } },
      { Action: 'kms:Decrypt', Effect: 'Allow', Resource: { 'Fn::GetAtt': [keyId, 'Arn'] } },
      {
        Action: ['s3:PutObject', 's3:GetObject', 's3:ListMultipartUploadParts', 's3:AbortMultipartUpload'],
        Effect: 'Allow',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [outputId, 'Arn'] }, '/runs/customers/*']] },
      },
    ]));
    // the per-step invoke grants are merged into one statement listing the aliases
    const invoke = statements.find((st) => st.Action === 'lambda:InvokeFunction');
    expect([invoke.Resource].flat()).toContainEqual({ Ref: workerAlias });
    const s3Resources = statements.filter((s) => JSON.stringify(s.Action).includes('s3:')).map((s) => JSON.stringify(s.Resource));
    expect(s3Resources.some((r) => r.includes('"/*"'))).toBe(false);
  });

  test('EXECUTED locally: items read from the input bucket, batches of 25 in child executions, results written under the prefix, the aggregate gets the manifest location; a failed batch counts its 25 items against the 5%', async () => {
    // GIVEN 30 customers in the input bucket (batches of 25 and 5)
    const runner = await LocalWorkflowRunner.create(wf);
    try {
      const customers = Array.from({ length: 30 }, (_, i) => ({ id: `c-${i}` }));
      await runner.s3.putObject(runner.s3.bucketName(input), 'exports/customers.json', customers);
      let rejectId = '';
      runner.setHandler('Process item', (event: { Items: Array<{ index: number; item: { id: string } }> }) => {
        if (event.Items.some((i) => i.item.id === rejectId)) throw Object.assign(new Error('rejected'), { name: 'Rejected' });
        return event.Items.map((i) => i.item.id);
      });
      const aggregateEvents: any[] = [];
      runner.setHandler('Summarize', (event: any) => {
        aggregateEvents.push(event);
        return { ok: true };
      });

      // WHEN every batch succeeds
      const ok = await runner.run({});

      // THEN two child executions, the results in the output bucket, the aggregate told where
      expect(ok.status).toBe('SUCCEEDED');
      const children = ok.executions.filter((e) => e.parent === 0);
      expect(children.map((c) => (c.input as any).Items.length)).toEqual([25, 5]);
      expect(children.every((c) => c.type === 'EXPRESS')).toBe(true);
      const { mapRunArn, resultWriterDetails } = aggregateEvents[0].fanOut;
      expect(mapRunArn).toMatch(/:mapRun:ImportStateMachine[0-9A-F]+\/FanOut:/);
      expect(resultWriterDetails.Bucket).toBe(runner.s3.bucketName(output));
      expect(resultWriterDetails.Key).toMatch(/^runs\/customers\/[0-9a-f-]+\/manifest\.json$/);
      const manifest = await runner.s3.getJson<any>(resultWriterDetails.Bucket, resultWriterDetails.Key);
      const succeeded = await runner.s3.getJson<any[]>(resultWriterDetails.Bucket, manifest.ResultFiles.SUCCEEDED[0].Key);
      expect(succeeded.map((e) => JSON.parse(e.Output).length)).toEqual([25, 5]);

      // WHEN the first batch fails: 25 of 30 items failed, over 5%
      rejectId = 'c-3';
      const failed = await runner.run({});
      expect(failed.status).toBe('FAILED');
      expect(failed.error).toBe('FanOut.ToleranceExceeded');
      expect(failed.cause).toBe('The specified tolerated failure threshold was exceeded');
    } finally {
      await runner.close();
    }
  }, 60_000);
});

describe('distributed mode: other sources and defaults', () => {
  const { stack, fanOut } = fixture();
  const bucket = new s3.Bucket(stack, 'Data', { enforceSSL: true });
  const fromInput = fanOut('FromInput', { mode: FanOutMode.DISTRIBUTED, childWorkflowType: WorkflowType.STANDARD, itemsPath: '$.orders' });
  const objects = fanOut('Objects', { itemSource: FanOutItemSource.s3Objects(bucket, 'inbox/'), resultBucket: bucket, toleratedFailureCount: 0, stateName: 'Each file' });
  const csv = fanOut('Csv', {
    itemSource: FanOutItemSource.s3Csv(bucket, JsonPath.stringAt('$.file'), ['id', 'email']),
    expectedItems: 100,
    itemSelector: { 'id.$': '$$.Map.Item.Value.id', 'run.$': '$.runId' },
  });
  const template = Template.fromStack(stack);
  const bucketId = logicalIdOf(template, 'AWS::S3::Bucket', 'Data');

  test('items from the state input; no tolerance renders an explicit 0%; results stay in the state; Standard children', () => {
    expect(fromInput.modeReason).toBe('DISTRIBUTED as configured');
    const map = aslOf(template, machineId(template, 'FromInput')).States['Fan out'];
    expect(map.ItemsPath).toBe('$.orders');
    expect(map.ToleratedFailurePercentage).toBe(0);
    expect(map.ItemProcessor.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
    expect(map.MaxConcurrency).toBe(1000);
    expect(map.ResultSelector).toEqual({ 'results.$': '$', 'total.$': 'States.ArrayLength($)' });
    expect(map.ItemReader).toBeUndefined();
    expect(map.ResultWriter).toBeUndefined();
    expect(map.End).toBe(true);
    Annotations.fromStack(stack).hasInfo('/TestStack/FromInput', Match.stringLikeRegexp('returns its results in the state'));
  });

  test('EXECUTED locally with the explicit 0% tolerance: STANDARD children, one failed item fails the workflow', async () => {
    const runner = await LocalWorkflowRunner.create(fromInput, {
      handlers: {
        'Process item': (e: { index: number; item: string }) => {
          if (e.item === 'bad') throw Object.assign(new Error('bad order'), { name: 'BadOrder' });
          return e.item.toUpperCase();
        },
      },
    });
    try {
      const ok = await runner.run({ orders: ['a', 'b'] });
      expect(ok.status).toBe('SUCCEEDED');
      expect((ok.output as any).fanOut).toEqual({ results: ['A', 'B'], total: 2 });
      expect(ok.executions.filter((e) => e.parent === 0).map((e) => e.type)).toEqual(['STANDARD', 'STANDARD']);
      const failed = await runner.run({ orders: ['a', 'bad', 'c'] });
      expect(failed.error).toBe('FanOut.ToleranceExceeded');
      expect(failed.executions.filter((e) => e.parent === 0 && e.status === 'FAILED').map((e) => e.error)).toEqual(['BadOrder']);
    } finally {
      await runner.close();
    }
  }, 60_000);

  test('objects under a prefix: ListBucket limited to the prefix; an explicit count of 0', () => {
    expect(objects.mode).toBe(FanOutMode.DISTRIBUTED);
    const map = aslOf(template, machineId(template, 'Objects')).States['Each file'];
    expect(map.ItemReader).toEqual({ Resource: 'arn:${AWS::Partition}:states:::s3:listObjectsV2', Parameters: { Bucket: `\${Ref:${bucketId}}`, Prefix: 'inbox/' } });
    expect(map.ToleratedFailureCount).toBe(0);
    expect(map.ToleratedFailurePercentage).toBeUndefined();
    expect(map.Catch[0].Next).toBe('Each file: tolerance exceeded');
    expect(statementsOf(template, 'ObjectsStateMachineRoleDefaultPolicy')).toContainEqual({
      Action: 's3:ListBucket', Effect: 'Allow', Resource: { 'Fn::GetAtt': [bucketId, 'Arn'] }, Condition: { StringLike: { 's3:prefix': 'inbox/*' } },
    });
    expect(JSON.stringify(statementsOf(template, 'ObjectsStateMachineRoleDefaultPolicy'))).not.toContain('kms:');
  });

  test('CSV with given headers and a key from the input: GetObject on the bucket\'s objects; a custom item selector', () => {
    expect(csv.mode).toBe(FanOutMode.DISTRIBUTED);
    const map = aslOf(template, machineId(template, 'Csv')).States['Fan out'];
    expect(map.ItemReader).toEqual({
      Resource: 'arn:${AWS::Partition}:states:::s3:getObject',
      ReaderConfig: { InputType: 'CSV', CSVHeaderLocation: 'GIVEN', CSVHeaders: ['id', 'email'] },
      Parameters: { 'Bucket': `\${Ref:${bucketId}}`, 'Key.$': '$.file' },
    });
    expect(map.ItemSelector).toEqual({ 'index.$': '$$.Map.Item.Index', 'item': { 'id.$': '$$.Map.Item.Value.id', 'run.$': '$.runId' } });
    expect(statementsOf(template, 'CsvStateMachineRoleDefaultPolicy')).toContainEqual({
      Action: 's3:GetObject', Effect: 'Allow', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/*']] },
    });
  });

  test('Express children of a non-idempotent worker are flagged (they run at least once)', () => {
    expect(Annotations.fromStack(stack).findWarning('/TestStack/FromInput', Match.anyValue())).toEqual([]); // Standard children
    Annotations.fromStack(stack).hasWarning('/TestStack/Csv', Match.stringLikeRegexp("worker 'Process item' is not marked idempotent.*Express child executions"));
  });
});

describe('AUTO: the history budget and the payload limit', () => {
  const build = (props: Partial<FanOutFanInProps>, type = WorkflowType.STANDARD) => {
    const { fanOut } = fixture();
    return fanOut('Wf', { type, ...props });
  };

  test('inline up to about 2,854 items (7 events each, 80% of 25,000); one more goes distributed', () => {
    const small = Size.bytes(8);
    const fits = build({ expectedItems: 2854, expectedResultSize: small });
    expect(fits.mode).toBe(FanOutMode.INLINE);
    expect(fits.estimatedHistoryEvents).toBe(20 + 2854 * 7);
    const over = build({ expectedItems: 2855, expectedResultSize: small });
    expect(over.mode).toBe(FanOutMode.DISTRIBUTED);
    expect(over.modeReason).toBe('AUTO chose DISTRIBUTED: expectedItems 2855 would take about 20,005 history events inline, over the 20,000 (80%) budget of the 25,000-event Standard history (an inline Map fits about 2,854 items)');
  });

  test('an Express parent keeps no history: AUTO stays inline for many items', () => {
    const wf = build({ expectedItems: 5000, expectedResultSize: Size.bytes(8) }, WorkflowType.EXPRESS);
    expect(wf.mode).toBe(FanOutMode.INLINE);
    expect(wf.estimatedHistoryEvents).toBeUndefined();
    expect(wf.modeReason).toMatch(/Express workflow keeps no execution history/);
  });

  test('results over the payload budget need resultBucket, and go distributed with it', () => {
    expect(() => build({ expectedItems: 500, expectedResultSize: Size.kibibytes(1) }))
      .toThrow(/\[TestStack\/Wf\] expectedItems 500 results of about 1 KiB each make about 500 KiB, over the 230 KiB of the 256 KiB state payload limit left for results\. Set writeResults: true or resultBucket/);
    const { stack, fanOut } = fixture('Other');
    const wf = fanOut('Wf', { expectedItems: 500, expectedResultSize: Size.kibibytes(1), resultBucket: new s3.Bucket(stack, 'Out') });
    expect(wf.mode).toBe(FanOutMode.DISTRIBUTED);
  });

  test('the default result size (256 bytes) keeps about 900 items inline', () => {
    expect(build({ expectedItems: 900 }).mode).toBe(FanOutMode.INLINE);
    expect(() => build({ expectedItems: 1000 })).toThrow(/expectedItems 1000 results of about 256 bytes each make about 250 KiB/);
  });

  test('batching divides the results a Distributed Map returns', () => {
    const wf = build({ expectedItems: 10_000, batchSize: 100, expectedResultSize: Size.kibibytes(1) });
    expect(wf.mode).toBe(FanOutMode.DISTRIBUTED);
    expect(() => build({ expectedItems: 10_000, batchSize: 10, expectedResultSize: Size.kibibytes(1) }))
      .toThrow(/the Distributed Map would return about 1000 KiB of results in the state \(expectedItems 10000 in batches of 10, about 1 KiB per result\)/);
  });
});

describe('tolerance arithmetic: the rendered integer comparison equals failed/total > percentage', () => {
  const percentages = [0, 1, 2.5, 5, 10, 12.5, 25, 33, 50, 99, 100];
  const { stack, fanOut } = fixture();
  percentages.forEach((p, i) => fanOut(`P${i}`, { mode: FanOutMode.INLINE, toleratedFailurePercentage: p }));
  const template = Template.fromStack(stack);

  /** Evaluates a States.MathAdd tree over the given values of `$.fanOut.failedCount` / `$.fanOut.total`. */
  const evaluate = (expr: string, values: Record<string, number>): number => {
    const e = expr.trim();
    if (values[e] !== undefined) return values[e];
    const m = /^States\.MathAdd\((.*)\)$/.exec(e);
    if (!m) throw new Error(`unexpected expression ${e}`);
    let depth = 0;
    for (let k = 0; k < m[1].length; k++) {
      const c = m[1][k];
      if (c === '(') depth++;
      if (c === ')') depth--;
      if (c === ',' && depth === 0) return evaluate(m[1].slice(0, k), values) + evaluate(m[1].slice(k + 1), values);
    }
    throw new Error(`no top-level comma in ${e}`);
  };
  const nesting = (expr: string) => Math.max(...[...expr].reduce((acc, c) => {
    acc.push(acc[acc.length - 1] + (c === '(' ? 1 : c === ')' ? -1 : 0));
    return acc;
  }, [0]));

  test.each(percentages.map((p, i) => [p, i]))('%d%%: fails exactly when failed * 100 > total * percentage, with at most 7 nested intrinsics', (p, i) => {
    const asl = aslOf(template, machineId(template, `P${i}`));
    const choice = asl.States['Fan out: within tolerance?'];
    const evaluateState = asl.States['Fan out: evaluate tolerance'];
    for (let total = 1; total <= 40; total++) {
      for (let failed = 0; failed <= total; failed++) {
        const values = { '$.fanOut.failedCount': failed, '$.fanOut.total': total };
        let exceeded: boolean;
        if (p === 100) {
          exceeded = false;
          expect(choice).toBeUndefined();
        } else if (p === 0) {
          exceeded = failed > choice.Choices[0].NumericGreaterThan;
          expect(choice.Choices[0].Variable).toBe('$.fanOut.failedCount');
        } else {
          exceeded = evaluate(evaluateState.Parameters['failedScaled.$'], values) > evaluate(evaluateState.Parameters['allowedScaled.$'], values);
        }
        expect([p, total, failed, exceeded]).toEqual([p, total, failed, failed * 100 > total * p]);
      }
    }
    if (evaluateState?.Parameters['failedScaled.$']) {
      expect(nesting(evaluateState.Parameters['failedScaled.$'])).toBeLessThanOrEqual(7);
      expect(nesting(evaluateState.Parameters['allowedScaled.$'])).toBeLessThanOrEqual(7);
    }
  });
});

describe('configuration errors name the bad value and the fix', () => {
  const { fanOut, stack } = fixture();
  const bucket = new s3.Bucket(stack, 'B');
  let n = 0;
  const tryBuild = (props: Partial<FanOutFanInProps>) => () => fanOut(`E${++n}`, props);

  test.each([
    ['maxConcurrency: 0', { maxConcurrency: 0 }, /maxConcurrency is 0; it must be a whole number from 1 to 10,000/],
    ['maxConcurrency: 10_001', { maxConcurrency: 10_001 }, /maxConcurrency is 10001; it must be a whole number from 1 to 10,000/],
    ['batchSize: 2.5', { batchSize: 2.5 }, /batchSize is 2.5; it must be a whole number from 1/],
    ['toleratedFailurePercentage: 101', { toleratedFailurePercentage: 101 }, /toleratedFailurePercentage is 101; it must be a number from 0 to 100/],
    ['toleratedFailureCount: -1', { toleratedFailureCount: -1 }, /toleratedFailureCount is -1; it must be a whole number from 0/],
    ['expectedItems: -5', { expectedItems: -5 }, /expectedItems is -5/],
    ['expectedResultSize: Size.bytes(0)', { expectedResultSize: Size.bytes(0) }, /expectedResultSize is 0 bytes; it must be positive/],
    ['itemsPath: \'items\'', { itemsPath: 'items' }, /itemsPath 'items' is not a JSONPath\. Write it from the state root, e\.g\. '\$\.items'/],
    ['itemsPath: \'$.items[?(@.active)]\'', { itemsPath: '$.items[?(@.active)]' }, /itemsPath '\$\.items\[\?\(@\.active\)\]' uses filters, wildcards or deep scan/],
    ['itemsPath: \'$.a\', itemSource: FanOutItemSource.s3Json(bucket, \'k.js', { itemsPath: '$.a', itemSource: FanOutItemSource.s3Json(bucket, 'k.json') }, /both itemsPath \('\$\.a'\) and itemSource \(the JSON file 'k\.json' in S3\) are set\. Keep one/],
    ['itemSource: FanOutItemSource.s3Json(bucket, \' \')', { itemSource: FanOutItemSource.s3Json(bucket, ' ') }, /itemSource: the JSON key is empty/],
    ['itemSource: FanOutItemSource.s3Csv(bucket, \'a.csv\', [])', { itemSource: FanOutItemSource.s3Csv(bucket, 'a.csv', []) }, /itemSource: the CSV headers list is empty/],
    ['resultPrefix: \'x\'', { resultPrefix: 'x' }, /resultPrefix 'x' is set without resultBucket/],
    ['writeResults: true, resultBucket: bucket', { writeResults: true, resultBucket: bucket }, /both writeResults and resultBucket are set\. Keep resultBucket/],
    ['resultRetention: Duration.days(3)', { resultRetention: Duration.days(3) }, /resultRetention 3 days is set without writeResults/],
    ['writeResults: true, resultRetention: Duration.hours(12)', { writeResults: true, resultRetention: Duration.hours(12) }, /resultRetention is 12 hours; S3 lifecycle expiry counts whole days/],
    ['mode: FanOutMode.INLINE, writeResults: true', { mode: FanOutMode.INLINE, writeResults: true }, /mode is INLINE but writeResults is set, and only a Distributed Map writes its results to S3/],
    ['resultBucket: bucket, resultPrefix: \'/abs\'', { resultBucket: bucket, resultPrefix: '/abs' }, /resultPrefix '\/abs' is not a usable key prefix/],
    ['mode: FanOutMode.INLINE, batchSize: 10', { mode: FanOutMode.INLINE, batchSize: 10 }, /mode is INLINE but batchSize 10 needs an ItemBatcher, which only a Distributed Map has\. Use FanOutMode\.DISTRIBUTED \(or AUTO\), or drop batchSize\./],
    ['mode: FanOutMode.INLINE, maxConcurrency: 41', { mode: FanOutMode.INLINE, maxConcurrency: 41 }, /mode is INLINE but maxConcurrency 41 exceeds the 40 iterations an inline Map runs at a time\. .*or lower maxConcurrency to 40 or less/],
    ['mode: FanOutMode.INLINE, itemSource: FanOutItemSource.s3Objects(bucket', { mode: FanOutMode.INLINE, itemSource: FanOutItemSource.s3Objects(bucket) }, /mode is INLINE but the items come from the objects under the whole bucket in S3/],
    ['mode: FanOutMode.INLINE, resultBucket: bucket', { mode: FanOutMode.INLINE, resultBucket: bucket }, /mode is INLINE but resultBucket is set/],
    ['mode: FanOutMode.INLINE, childWorkflowType: WorkflowType.STANDARD', { mode: FanOutMode.INLINE, childWorkflowType: WorkflowType.STANDARD }, /childWorkflowType is set but mode is INLINE, which starts no child executions/],
    ['mode: FanOutMode.INLINE, expectedItems: 4000, expectedResultSize: Size', { mode: FanOutMode.INLINE, expectedItems: 4000, expectedResultSize: Size.bytes(4) }, /mode is INLINE but expectedItems 4000 would take about 28,020 history events, over the 25,000-event limit of a Standard execution \(it would fail mid-way\)\. Use FanOutMode\.DISTRIBUTED or AUTO/],
    ['type: WorkflowType.EXPRESS, mode: FanOutMode.DISTRIBUTED', { type: WorkflowType.EXPRESS, mode: FanOutMode.DISTRIBUTED }, /mode is DISTRIBUTED but this workflow is EXPRESS, and Step Functions runs a Distributed Map only in Standard workflows/],
    ['type: WorkflowType.EXPRESS, maxConcurrency: 100', { type: WorkflowType.EXPRESS, maxConcurrency: 100 }, /mode AUTO needs a Distributed Map because maxConcurrency 100 exceeds the 40 iterations .* this workflow is EXPRESS\. Use WorkflowType\.STANDARD .*, or lower maxConcurrency to 40 or less\./],
    ['itemSource: FanOutItemSource.s3JsonLines(bucket, \'big.jsonl\')', { itemSource: FanOutItemSource.s3JsonLines(bucket, 'big.jsonl') }, /the items come from the JSONL file 'big\.jsonl' in S3, so their number is unbounded, and without resultBucket/],
    ['mode: FanOutMode.INLINE, toleratedFailurePercentage: 33.3', { mode: FanOutMode.INLINE, toleratedFailurePercentage: 33.3 }, /toleratedFailurePercentage 33\.3 needs the comparison failed \* 1000 > total \* 333, too large .* Round it .* \(e\.g\. 33\)/],
    ['worker: Step.pass(\'Copy\'), toleratedFailureCount: 1', { worker: Step.pass('Copy'), toleratedFailureCount: 1 }, /worker 'Copy' renders a Pass state, which cannot fail or catch errors/],
    ['worker: Step.lambda(\'Fan out\', inlineFunction(stack, \'Clash\'))', { worker: Step.lambda('Fan out', inlineFunction(stack, 'Clash')) }, /the name 'Fan out' is used by two steps/],
    ['Express children with a 10-minute worker', { mode: FanOutMode.DISTRIBUTED, worker: Step.lambda('Slow', inlineFunction(stack, 'Slow', { timeout: Duration.minutes(10) })) },
      /worker 'Slow' may run 10 minutes 5 seconds, longer than the 5 minutes an Express child execution lives/],
  ] as Array<[string, Partial<FanOutFanInProps>, RegExp]>)('%s', (_label, props, message) => {
    expect(tryBuild(props)).toThrow(message);
  });

  test('errors carry the construct path', () => {
    expect(tryBuild({ maxConcurrency: 0 })).toThrow(/^\[TestStack\/E\d+\] maxConcurrency/);
  });

  test('a callback worker cannot run in Express children; Standard children accept it', () => {
    const step = new CallbackStep(Step.lambda('Approve', inlineFunction(stack, 'Approve')));
    expect(tryBuild({ mode: FanOutMode.DISTRIBUTED, worker: step })).toThrow(/worker 'Approve' waits for a callback \(\.waitForTaskToken\), which Express child executions do not support\. Set childWorkflowType: WorkflowType\.STANDARD\./);
    expect(tryBuild({ type: WorkflowType.EXPRESS, worker: step })).toThrow(/step 'Approve' waits for a callback \(\.waitForTaskToken\), which Express workflows do not support/);
  });

  test('explicit INLINE past the 80% history budget (but under 25,000 events) warns instead of failing', () => {
    const { stack: s, fanOut: f } = fixture('Budget');
    const wf = f('Wf', { mode: FanOutMode.INLINE, expectedItems: 3000, expectedResultSize: Size.bytes(4) });
    expect(wf.estimatedHistoryEvents).toBe(21_020);
    Annotations.fromStack(s).hasWarning('/Budget/Wf', Match.stringLikeRegexp('expectedItems 3000 take about 21,020 history events, over the 20,000 \\(80%\\) budget'));
  });

  test('a worker rendering several states (a Parallel) makes the history estimate a lower bound, and says so', () => {
    const { stack: s, fanOut: f } = fixture('Composite');
    const parallelStep: IWorkflowStep = {
      name: 'Enrich and store',
      idempotent: true,
      waitsForCallback: false,
      bind: (scope: Construct) => ({ state: new sfn.Parallel(scope, 'Enrich and store').branch(new sfn.Pass(scope, 'Enrich')) }),
    };
    f('Wf', { worker: parallelStep, expectedItems: 100 });
    Annotations.fromStack(s).hasWarning('/Composite/Wf', Match.stringLikeRegexp("worker 'Enrich and store' renders a Parallel state, but the history estimate assumes one Task per item"));
  });

  test('AUTO with childWorkflowType but an inline outcome warns that it is unused', () => {
    const { stack: s, fanOut: f } = fixture('Warn');
    f('Wf', { childWorkflowType: WorkflowType.STANDARD });
    Annotations.fromStack(s).hasWarning('/Warn/Wf', Match.stringLikeRegexp('childWorkflowType STANDARD is unused: AUTO chose INLINE'));
  });
});

describe('works with a user-supplied role', () => {
  test('the Distributed Map policy attaches to the given role', () => {
    const { stack, fanOut } = fixture();
    const role = new iam.Role(stack, 'MyRole', { assumedBy: new iam.ServicePrincipal('states.amazonaws.com') });
    fanOut('Wf', { mode: FanOutMode.DISTRIBUTED, role, expectedItems: 10 });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyName: Match.stringLikeRegexp('DistributedMapPolicy'),
      Roles: [{ Ref: logicalIdOf(template, 'AWS::IAM::Role', 'MyRole') }],
    });
    expect(hasDependencyCycle(template)).toBeUndefined();
  });
});

describe('writeResults: the results bucket the construct creates', () => {
  test('GIVEN encryptionKey on the workflow WHEN writeResults THEN the bucket is SSE-KMS with that key, TLS-only, private, expiring; the ResultWriter targets it and the role may use the key', () => {
    // GIVEN
    const { stack, fanOut } = fixture();
    const key = new kms.Key(stack, 'WorkflowKey');
    // WHEN
    const wf = fanOut('Encrypted', { encryptionKey: key, writeResults: true, resultRetention: Duration.days(7), itemsPath: '$.ids' });
    // THEN
    const template = Template.fromStack(stack);
    const keyId = logicalIdOf(template, 'AWS::KMS::Key', 'WorkflowKey');
    const bucketId = logicalIdOf(template, 'AWS::S3::Bucket', 'EncryptedResults');
    expect(wf.mode).toBe(FanOutMode.DISTRIBUTED);
    expect(wf.modeReason).toContain('writeResults is set, and only a Distributed Map writes its results to S3');
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] } } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LifecycleConfiguration: { Rules: [{ Id: 'ExpireFanOutResults', Status: 'Enabled', ExpirationInDays: 7, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }] },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    const map = aslOf(template, machineId(template, 'Encrypted')).States['Fan out'];
    expect(map.ResultWriter).toEqual({ Resource: 'arn:${AWS::Partition}:states:::s3:putObject', Parameters: { Bucket: `\${Ref:${bucketId}}`, Prefix: 'fan-out-results' } });
    const roleStatements = statementsOf(template, 'EncryptedStateMachineRoleDefaultPolicy');
    expect(roleStatements).toContainEqual(expect.objectContaining({ Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: { 'Fn::GetAtt': [keyId, 'Arn'] } }));
    expect(wf.resultBucket).toBeDefined();
  });

  test('without encryptionKey the bucket is SSE-S3 and expires after 30 days by default', () => {
    const { stack, fanOut } = fixture();
    fanOut('Plain', { writeResults: true, itemsPath: '$.ids' });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 30 })] },
    });
  });
});
