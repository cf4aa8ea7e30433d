/**
 * Renders the CloudFormation template of a stack for the runner, and resolves its intrinsics to
 * stable fake values, derived only from logical ids and properties, so that the same template
 * always resolves to the same strings.
 */

/** Fake region every token resolves to. */
export const FAKE_REGION = 'us-east-1';
/** Fake account id every token resolves to. */
export const FAKE_ACCOUNT = '123456789012';
/** Partition every token resolves to. */
export const FAKE_PARTITION = 'aws';
/** URL suffix every token resolves to. */
export const FAKE_URL_SUFFIX = 'amazonaws.com';

/** A CloudFormation resource, as found in a synthesized template. */
export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly [key: string]: unknown;
}

/** A synthesized CloudFormation template (the parts the runner reads). */
export interface CfnTemplate {
  readonly Resources?: Record<string, CfnResource>;
  readonly Parameters?: Record<string, { readonly Default?: unknown; readonly [key: string]: unknown }>;
  readonly [key: string]: unknown;
}

const NO_VALUE = Symbol('AWS::NoValue');

/** Resolves intrinsic functions of one template. Instances memoize physical names. */
export class TemplateResolver {
  private readonly resources: Record<string, CfnResource>;
  private readonly names = new Map<string, string>();
  private readonly resolving = new Set<string>();

  constructor(private readonly template: CfnTemplate) {
    this.resources = template.Resources ?? {};
  }

  /** The resource with this logical id, or an error naming it. */
  resource(logicalId: string): CfnResource {
    const r = this.resources[logicalId];
    if (!r) {
      throw new Error(`LocalWorkflowRunner: the template has no resource '${logicalId}'`);
    }
    return r;
  }

  /** Logical ids of every resource of this CloudFormation type, in template order. */
  logicalIdsOfType(type: string): string[] {
    return Object.keys(this.resources).filter((id) => this.resources[id].Type === type);
  }

  /** Deeply resolves every intrinsic in `value`. */
  resolve(value: unknown): unknown {
    const out = this.resolveInner(value);
    return out === NO_VALUE ? undefined : out;
  }

  /** Resolves `value` and requires a string result. */
  resolveString(value: unknown, what: string): string {
    const out = this.resolve(value);
    if (typeof out !== 'string') {
      throw new Error(`LocalWorkflowRunner: ${what} did not resolve to a string (got ${JSON.stringify(out)})`);
    }
    return out;
  }

  /** The physical name of a resource: its explicit name property if any, else derived from the logical id. */
  physicalName(logicalId: string): string {
    const cached = this.names.get(logicalId);
    if (cached !== undefined) {
      return cached;
    }
    const r = this.resource(logicalId);
    const prop = NAME_PROPERTY[r.Type];
    let name: string | undefined;
    if (prop && r.Properties && r.Properties[prop] !== undefined) {
      if (this.resolving.has(logicalId)) {
        throw new Error(`LocalWorkflowRunner: circular reference while resolving the name of '${logicalId}'`);
      }
      this.resolving.add(logicalId);
      try {
        name = this.resolveString(r.Properties[prop], `${logicalId}.${prop}`);
      } finally {
        this.resolving.delete(logicalId);
      }
    }
    if (name === undefined) {
      name = r.Type === 'AWS::S3::Bucket' ? logicalId.toLowerCase() : logicalId;
      if (r.Type.startsWith('AWS::DynamoDB::') && name.length < 3) {
        // DynamoDB table names have at least 3 characters
        name = `${name}-table`;
      }
    }
    this.names.set(logicalId, name);
    return name;
  }

  /** The value of `{ Ref: logicalId }`. */
  ref(logicalId: string): string {
    const pseudo = this.pseudo(logicalId);
    if (pseudo !== undefined) {
      return pseudo;
    }
    const param = this.template.Parameters?.[logicalId];
    if (param) {
      return param.Default !== undefined ? String(param.Default) : logicalId;
    }
    const r = this.resource(logicalId);
    const name = (): string => this.physicalName(logicalId);
    switch (r.Type) {
      case 'AWS::Lambda::Alias':
        return `${this.lambdaArn(this.functionNameOf(r))}:${this.resolveString(r.Properties?.Name ?? 'live', `${logicalId}.Name`)}`;
      case 'AWS::Lambda::Version':
        return `${this.lambdaArn(this.functionNameOf(r))}:1`;
      case 'AWS::StepFunctions::StateMachine':
        return arn('states', `stateMachine:${name()}`);
      case 'AWS::StepFunctions::Activity':
        return arn('states', `activity:${name()}`);
      case 'AWS::SNS::Topic':
        return arn('sns', name());
      case 'AWS::SQS::Queue':
        return `https://sqs.${FAKE_REGION}.${FAKE_URL_SUFFIX}/${FAKE_ACCOUNT}/${name()}`;
      case 'AWS::Lambda::LayerVersion':
        return arn('lambda', `layer:${logicalId}:1`);
      case 'AWS::IAM::Policy':
      case 'AWS::IAM::ManagedPolicy':
        return `arn:${FAKE_PARTITION}:iam::${FAKE_ACCOUNT}:policy/${logicalId}`;
      default:
        return name();
    }
  }

  /** The value of `{ 'Fn::GetAtt': [logicalId, attribute] }`. */
  getAtt(logicalId: string, attribute: string): string {
    const r = this.resource(logicalId);
    const name = (): string => this.physicalName(logicalId);
    switch (`${r.Type}.${attribute}`) {
      case 'AWS::Lambda::Function.Arn':
        return this.lambdaArn(name());
      case 'AWS::Lambda::Version.Version':
        return '1';
      case 'AWS::Lambda::Version.FunctionArn':
        return this.ref(logicalId);
      case 'AWS::Lambda::Alias.AliasArn':
        return this.ref(logicalId);
      case 'AWS::DynamoDB::Table.Arn':
      case 'AWS::DynamoDB::GlobalTable.Arn':
        return arn('dynamodb', `table/${name()}`);
      case 'AWS::DynamoDB::Table.StreamArn':
      case 'AWS::DynamoDB::GlobalTable.StreamArn':
        return arn('dynamodb', `table/${name()}/stream/1970-01-01T00:00:00.000`);
      case 'AWS::StepFunctions::StateMachine.Arn':
        return this.ref(logicalId);
      case 'AWS::StepFunctions::StateMachine.Name':
        return name();
      case 'AWS::SNS::Topic.TopicArn':
        return arn('sns', name());
      case 'AWS::SNS::Topic.TopicName':
        return name();
      case 'AWS::SQS::Queue.Arn':
        return arn('sqs', name());
      case 'AWS::SQS::Queue.QueueUrl':
        return this.ref(logicalId);
      case 'AWS::SQS::Queue.QueueName':
        return name();
      case 'AWS::IAM::Role.Arn':
        return `arn:${FAKE_PARTITION}:iam::${FAKE_ACCOUNT}:role/${name()}`;
      case 'AWS::Logs::LogGroup.Arn':
        return arn('logs', `log-group:${name()}:*`);
      case 'AWS::S3::Bucket.Arn':
        return `arn:${FAKE_PARTITION}:s3:::${name()}`;
      case 'AWS::Events::EventBus.Arn':
        return arn('events', `event-bus/${name()}`);
      case 'AWS::Events::EventBus.Name':
        return name();
      default: {
        if (attribute === 'Arn') {
          const service = r.Type.split('::')[1]?.toLowerCase() ?? 'unknown';
          return arn(service, `${r.Type.split('::')[2]?.toLowerCase() ?? 'resource'}/${name()}`);
        }
        return `${logicalId}.${attribute}`;
      }
    }
  }

  private functionNameOf(r: CfnResource): string {
    const fn = this.resolveString(r.Properties?.FunctionName, 'FunctionName');
    // FunctionName may be a name, a function ARN, or a partial ARN
    return fn.startsWith('arn:') ? fn.split(':')[6] : fn;
  }

  private lambdaArn(functionName: string): string {
    return arn('lambda', `function:${functionName}`);
  }

  private pseudo(name: string): string | undefined {
    switch (name) {
      case 'AWS::Region':
        return FAKE_REGION;
      case 'AWS::AccountId':
        return FAKE_ACCOUNT;
      case 'AWS::Partition':
        return FAKE_PARTITION;
      case 'AWS::URLSuffix':
        return FAKE_URL_SUFFIX;
      case 'AWS::StackName':
        return 'LocalStack';
      case 'AWS::StackId':
        return arn('cloudformation', 'stack/LocalStack/00000000-0000-0000-0000-000000000000');
      default:
        return undefined;
    }
  }

  private resolveInner(value: unknown): unknown {
    if (Array.isArray(value)) {
      return value.map((v) => this.resolveInner(v)).filter((v) => v !== NO_VALUE);
    }
    if (value === null || typeof value !== 'object') {
      return value;
    }
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj);
    if (keys.length === 1) {
      const key = keys[0];
      const arg = obj[key];
      switch (key) {
        case 'Ref':
          if (arg === 'AWS::NoValue') return NO_VALUE;
          return this.ref(String(arg));
        case 'Fn::GetAtt': {
          const [id, attr] = Array.isArray(arg) ? arg : String(arg).split(/\.(.+)/);
          return this.getAtt(String(id), String(this.resolveInner(attr)));
        }
        case 'Fn::Join': {
          const [sep, parts] = arg as [string, unknown];
          const resolved = this.resolveInner(parts);
          if (!Array.isArray(resolved)) throw new Error('LocalWorkflowRunner: Fn::Join expects a list');
          return resolved.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join(sep);
        }
        case 'Fn::Sub':
          return this.sub(arg);
        case 'Fn::Select': {
          const [index, list] = arg as [unknown, unknown];
          const resolvedList = this.resolveInner(list) as unknown[];
          return resolvedList[Number(this.resolveInner(index))];
        }
        case 'Fn::Split': {
          const [sep, source] = arg as [string, unknown];
          return String(this.resolveInner(source)).split(sep);
        }
        case 'Fn::GetAZs':
          return [`${FAKE_REGION}a`, `${FAKE_REGION}b`, `${FAKE_REGION}c`];
        case 'Fn::Base64':
          return Buffer.from(String(this.resolveInner(arg))).toString('base64');
        case 'Fn::ToJsonString':
          return JSON.stringify(this.resolveInner(arg));
        case 'Fn::ImportValue':
        case 'Fn::If':
        case 'Fn::FindInMap':
        case 'Fn::Cidr':
        case 'Fn::Transform':
          throw new Error(`LocalWorkflowRunner: the intrinsic '${key}' is not supported by the template resolver`);
        default:
          break;
      }
    }
    const out: Record<string, unknown> = {};
    for (const k of keys) {
      const v = this.resolveInner(obj[k]);
      if (v !== NO_VALUE) out[k] = v;
    }
    return out;
  }

  private sub(arg: unknown): string {
    const [template, vars] = Array.isArray(arg) ? (arg as [string, Record<string, unknown>]) : [String(arg), {}];
    const resolvedVars: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(vars ?? {})) {
      resolvedVars[k] = this.resolveInner(v);
    }
    return template.replace(/\$\{([^}]*)\}/g, (whole, expr: string) => {
      if (expr.startsWith('!')) {
        return `\${${expr.slice(1)}}`;
      }
      if (expr in resolvedVars) {
        return String(resolvedVars[expr]);
      }
      const dot = expr.indexOf('.');
      if (dot > 0 && !expr.startsWith('AWS::')) {
        return this.getAtt(expr.slice(0, dot), expr.slice(dot + 1));
      }
      if (!expr) return whole;
      return this.ref(expr);
    });
  }
}

const NAME_PROPERTY: Record<string, string> = {
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::DynamoDB::GlobalTable': 'TableName',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
  'AWS::StepFunctions::Activity': 'Name',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::S3::Bucket': 'BucketName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::Events::EventBus': 'Name',
  'AWS::Events::Rule': 'Name',
  'AWS::SSM::Parameter': 'Name',
};

function arn(service: string, resource: string): string {
  return `arn:${FAKE_PARTITION}:${service}:${FAKE_REGION}:${FAKE_ACCOUNT}:${resource}`;
}
