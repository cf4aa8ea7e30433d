import { CfnTemplate, TemplateResolver } from '../../src/testing/template-resolver';

const template: CfnTemplate = {
  Parameters: { Stage: { Type: 'String', Default: 'prod' }, Free: { Type: 'String' } },
  Resources: {
    Fn: { Type: 'AWS::Lambda::Function', Properties: {} },
    NamedFn: { Type: 'AWS::Lambda::Function', Properties: { FunctionName: { 'Fn::Join': ['-', ['named', { Ref: 'Stage' }]] } } },
    Alias: { Type: 'AWS::Lambda::Alias', Properties: { FunctionName: { Ref: 'Fn' }, Name: 'live', FunctionVersion: '1' } },
    ArnAlias: { Type: 'AWS::Lambda::Alias', Properties: { FunctionName: { 'Fn::GetAtt': ['NamedFn', 'Arn'] }, Name: 'live', FunctionVersion: '1' } },
    Table: { Type: 'AWS::DynamoDB::Table', Properties: {} },
    Machine: { Type: 'AWS::StepFunctions::StateMachine', Properties: {} },
    NamedMachine: { Type: 'AWS::StepFunctions::StateMachine', Properties: { StateMachineName: 'orders' } },
    Queue: { Type: 'AWS::SQS::Queue', Properties: {} },
  },
};

describe('TemplateResolver', () => {
  const r = new TemplateResolver(template);

  test('Refs resolve to stable fake values derived from logical ids', () => {
    expect(r.resolve({ Ref: 'Alias' })).toBe('arn:aws:lambda:us-east-1:123456789012:function:Fn:live');
    expect(r.resolve({ Ref: 'ArnAlias' })).toBe('arn:aws:lambda:us-east-1:123456789012:function:named-prod:live');
    expect(r.resolve({ Ref: 'Table' })).toBe('Table');
    expect(r.resolve({ Ref: 'Machine' })).toBe('arn:aws:states:us-east-1:123456789012:stateMachine:Machine');
    expect(r.resolve({ Ref: 'NamedMachine' })).toBe('arn:aws:states:us-east-1:123456789012:stateMachine:orders');
    expect(r.resolve({ Ref: 'Queue' })).toBe('https://sqs.us-east-1.amazonaws.com/123456789012/Queue');
    expect(r.resolve({ Ref: 'Free' })).toBe('Free');
  });

  test('pseudo parameters, GetAtt, Join, Sub, Select and Split', () => {
    expect(r.resolve({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':x:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, '.', { Ref: 'AWS::URLSuffix' }]] })).toBe(
      'arn:aws:x:us-east-1:123456789012.amazonaws.com',
    );
    expect(r.resolve({ 'Fn::GetAtt': ['Table', 'Arn'] })).toBe('arn:aws:dynamodb:us-east-1:123456789012:table/Table');
    expect(r.resolve({ 'Fn::GetAtt': ['Machine', 'Name'] })).toBe('Machine');
    expect(r.resolve({ 'Fn::Sub': 'a-${Table}-${Machine.Name}-${AWS::Region}-${!Literal}' })).toBe('a-Table-Machine-us-east-1-${Literal}');
    expect(r.resolve({ 'Fn::Sub': ['${X}/${Table}', { X: { Ref: 'Stage' } }] })).toBe('prod/Table');
    expect(r.resolve({ 'Fn::Select': [6, { 'Fn::Split': [':', { Ref: 'Machine' }] }] })).toBe('Machine');
    expect(r.resolve({ a: [{ Ref: 'AWS::NoValue' }, 1], b: { Ref: 'AWS::NoValue' } })).toEqual({ a: [1] });
  });

  test('the same template always resolves to the same values; unknown ids and intrinsics are clear errors', () => {
    const again = new TemplateResolver(template);
    expect(again.resolve({ Ref: 'Alias' })).toBe(r.resolve({ Ref: 'Alias' }));
    expect(() => r.resolve({ Ref: 'Nope' })).toThrow(/the template has no resource 'Nope'/);
    expect(() => r.resolve({ 'Fn::If': ['c', 1, 2] })).toThrow(/'Fn::If' is not supported/);
  });
});
