/**
 * The runner's view of a synthesized template: its state machines (resolved and analysed)
 * and its DynamoDB tables, cached per template object.
 */
import { AnalysedDefinition, AslDefinition, analyseDefinition, forEachState } from './definition';
import { CfnTemplate, TemplateResolver } from './template-resolver';
import { STEP_NAMES_METADATA } from '../core/metadata';

/** One `AWS::StepFunctions::StateMachine` of the template. */
export interface MachineModel {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  readonly type: 'STANDARD' | 'EXPRESS';
  readonly roleArn?: string;
  readonly definition: AslDefinition;
  readonly analysed: AnalysedDefinition;
  /** State name -> step name, for states rendered under another name than their step's. */
  readonly stepNames: ReadonlyMap<string, string>;
}


/** One `AWS::DynamoDB::Table` (or `GlobalTable`) of the template, as a CreateTable request. */
export interface TableModel {
  readonly logicalId: string;
  readonly name: string;
  readonly createTable: Record<string, unknown>;
  /** The TTL attribute (`TimeToLiveSpecification` with `Enabled: true`), if any. */
  readonly ttlAttribute?: string;
}

const TABLE_TYPES = ['AWS::DynamoDB::Table', 'AWS::DynamoDB::GlobalTable'];
const MACHINE_TYPE = 'AWS::StepFunctions::StateMachine';

const modelCache = new WeakMap<object, WorkflowModel>();

/** The resolved model of one template. Build it with {@link WorkflowModel.of}. */
export class WorkflowModel {
  /** The (cached) model of a template object. */
  static of(template: CfnTemplate): WorkflowModel {
    let model = modelCache.get(template);
    if (!model) {
      model = new WorkflowModel(template);
      modelCache.set(template, model);
    }
    return model;
  }

  readonly resolver: TemplateResolver;
  private readonly machines = new Map<string, MachineModel>();
  private arnIndex?: Map<string, string>;

  private constructor(readonly template: CfnTemplate) {
    this.resolver = new TemplateResolver(template);
  }

  /** Logical ids of every state machine of the template. */
  machineIds(): string[] {
    return this.resolver.logicalIdsOfType(MACHINE_TYPE);
  }

  /** The resolved and analysed state machine with this logical id. */
  machine(logicalId: string): MachineModel {
    const cached = this.machines.get(logicalId);
    if (cached) return cached;
    const resource = this.resolver.resource(logicalId);
    if (resource.Type !== MACHINE_TYPE) {
      throw new Error(`LocalWorkflowRunner: '${logicalId}' is a ${resource.Type}, not an ${MACHINE_TYPE}`);
    }
    const props = resource.Properties ?? {};
    const definition = this.definitionOf(logicalId, props);
    const type = props.StateMachineType === 'EXPRESS' ? 'EXPRESS' : 'STANDARD';
    if (type === 'EXPRESS') {
      forEachState(definition, (name, state) => {
        const resourceArn = typeof state.Resource === 'string' ? state.Resource : '';
        if (state.Type === 'Task' && /\.(sync(:2)?|waitForTaskToken)$/.test(resourceArn)) {
          throw new Error(
            `LocalWorkflowRunner: state '${name}' of EXPRESS state machine '${logicalId}' uses '${resourceArn}'; ` +
              'Express workflows do not support .sync or .waitForTaskToken integrations (Step Functions rejects this definition)',
          );
        }
      });
    }
    let roleArn: string | undefined;
    try {
      roleArn = props.RoleArn === undefined ? undefined : this.resolver.resolveString(props.RoleArn, `${logicalId}.RoleArn`);
    } catch {
      roleArn = undefined;
    }
    const metadata = resource.Metadata as Record<string, unknown> | undefined;
    const model: MachineModel = {
      logicalId,
      name: this.resolver.physicalName(logicalId),
      arn: this.resolver.ref(logicalId),
      type,
      roleArn,
      definition,
      analysed: analyseDefinition(definition, logicalId),
      stepNames: new Map(Object.entries((metadata?.[STEP_NAMES_METADATA] ?? {}) as Record<string, string>)),
    };
    this.machines.set(logicalId, model);
    return model;
  }

  /** Template metadata of the Lambda function an ARN (of the function, a version or an alias) names, if it is in this template. */
  functionMetadata(arn: string): Record<string, unknown> | undefined {
    const match = /^arn:[^:]+:lambda:[^:]*:[^:]*:function:([^:]+)/.exec(arn);
    if (!match) return undefined;
    for (const id of this.resolver.logicalIdsOfType('AWS::Lambda::Function')) {
      if (this.resolver.physicalName(id) === match[1]) {
        return this.resolver.resource(id).Metadata as Record<string, unknown> | undefined;
      }
    }
    return undefined;
  }

  /** Logical id of the state machine whose ARN (or name) is `arnOrName`, if it is in this template. */
  machineIdByArn(arnOrName: string): string | undefined {
    if (!this.arnIndex) {
      this.arnIndex = new Map();
      for (const id of this.machineIds()) {
        this.arnIndex.set(this.resolver.ref(id), id);
        this.arnIndex.set(this.resolver.physicalName(id), id);
      }
    }
    return this.arnIndex.get(arnOrName);
  }

  /** Every DynamoDB table of the template, as CreateTable requests with resolved fake names. */
  tables(): TableModel[] {
    const out: TableModel[] = [];
    for (const type of TABLE_TYPES) {
      for (const logicalId of this.resolver.logicalIdsOfType(type)) {
        const props = (this.resolver.resolve(this.resolver.resource(logicalId).Properties ?? {}) ?? {}) as Record<string, unknown>;
        const name = this.resolver.physicalName(logicalId);
        const createTable: Record<string, unknown> = {
          TableName: name,
          KeySchema: props.KeySchema,
          AttributeDefinitions: props.AttributeDefinitions,
          BillingMode: 'PAY_PER_REQUEST',
        };
        const indexes = (list: unknown): Array<Record<string, unknown>> | undefined =>
          Array.isArray(list) && list.length > 0
            ? list.map((i: Record<string, unknown>) => ({ IndexName: i.IndexName, KeySchema: i.KeySchema, Projection: i.Projection ?? { ProjectionType: 'ALL' } }))
            : undefined;
        const gsis = indexes(props.GlobalSecondaryIndexes);
        const lsis = indexes(props.LocalSecondaryIndexes);
        if (gsis) createTable.GlobalSecondaryIndexes = gsis;
        if (lsis) createTable.LocalSecondaryIndexes = lsis;
        const ttl = props.TimeToLiveSpecification as { AttributeName?: unknown; Enabled?: unknown } | undefined;
        const ttlAttribute = ttl && ttl.Enabled !== false && typeof ttl.AttributeName === 'string' ? ttl.AttributeName : undefined;
        out.push({ logicalId, name, createTable, ...(ttlAttribute ? { ttlAttribute } : {}) });
      }
    }
    return out;
  }

  private definitionOf(logicalId: string, props: Record<string, unknown>): AslDefinition {
    let text: string;
    if (props.DefinitionString !== undefined) {
      text = this.resolver.resolveString(props.DefinitionString, `${logicalId}.DefinitionString`);
    } else if (props.Definition !== undefined) {
      text = JSON.stringify(this.resolver.resolve(props.Definition));
    } else {
      throw new Error(
        `LocalWorkflowRunner: state machine '${logicalId}' has no inline definition (DefinitionS3Location is not supported)`,
      );
    }
    const substitutions = props.DefinitionSubstitutions as Record<string, unknown> | undefined;
    if (substitutions) {
      const values: Record<string, string> = {};
      for (const [key, value] of Object.entries(substitutions)) {
        const resolved = this.resolver.resolve(value);
        values[key] = typeof resolved === 'string' ? resolved : JSON.stringify(resolved);
      }
      text = text.replace(/\$\{([^}]+)\}/g, (whole, key: string) => (key in values ? values[key] : whole));
    }
    try {
      return JSON.parse(text) as AslDefinition;
    } catch (e) {
      throw new Error(`LocalWorkflowRunner: the definition of state machine '${logicalId}' is not valid JSON after resolution: ${(e as Error).message}`);
    }
  }
}
