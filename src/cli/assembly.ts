/**
 * Reads the workflows of a synthesized cloud assembly (a `cdk.out` directory): its manifest, the
 * stack templates it lists (nested assemblies of stages and nested stacks included), and every
 * `AWS::StepFunctions::StateMachine` in them, with the definition resolved to ASL.
 *
 * Cloud assembly manifest: https://github.com/aws/aws-cdk/tree/main/packages/%40aws-cdk/cloud-assembly-schema
 * (artifacts of type `aws:cloudformation:stack` name their `templateFile`; `cdk:cloud-assembly`
 * artifacts are nested assemblies, e.g. a Stage, in `directoryName`).
 */
import * as fs from 'fs';
import * as path from 'path';
import { mergeNestedTemplates } from '../testing/nested-templates';
import { CfnResource, CfnTemplate, TemplateResolver } from '../testing/template-resolver';

/** An ASL state, loosely typed. */
export type AslState = Record<string, unknown> & { readonly Type: string };

/** An ASL definition (or a Map/Parallel body). */
export interface AslDefinition {
  readonly StartAt: string;
  readonly States: Record<string, AslState>;
  readonly [key: string]: unknown;
}

/** One state machine found in a cloud assembly. */
export interface AssemblyWorkflow {
  /** The stack's artifact id (display name of the stack). */
  readonly stack: string;
  /** Path of the template file holding it. */
  readonly templateFile: string;
  /** Logical id of the `AWS::StepFunctions::StateMachine` resource. */
  readonly logicalId: string;
  /** A readable name: the construct path when the template has path metadata, else the logical id without its hash. */
  readonly name: string;
  /** The construct path (`aws:cdk:path` metadata), when present. */
  readonly constructPath?: string;
  /** STANDARD or EXPRESS. */
  readonly type: 'STANDARD' | 'EXPRESS';
  /** The definition, with CloudFormation references as readable placeholders (`${Ref:Id}`, `${GetAtt:Id.Attr}`, `${AWS::Region}`). */
  readonly definition: AslDefinition;
  /** The whole template. */
  readonly template: CfnTemplate;
}

/**
 * A template resolver that writes references as readable placeholders instead of fake values:
 * `${Ref:LogicalId}`, `${GetAtt:LogicalId.Attr}`, `${AWS::Region}` (the same notation the
 * library's tests use for asserted ASL).
 */
export class PlaceholderResolver extends TemplateResolver {
  override ref(logicalId: string): string {
    return logicalId.startsWith('AWS::') ? `\${${logicalId}}` : `\${Ref:${logicalId}}`;
  }

  override getAtt(logicalId: string, attribute: string): string {
    return `\${GetAtt:${logicalId}.${attribute}}`;
  }
}

/** The logical id a `${Ref:Id}` / `${GetAtt:Id.Attr}` placeholder names, if `value` is (or starts with) one. */
export function placeholderTarget(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^\$\{(?:Ref:([^}.]+)|GetAtt:([^}.]+)\.[^}]+)\}/.exec(value);
  return m ? (m[1] ?? m[2]) : undefined;
}

/** Every logical id an intrinsic (`Ref`, `Fn::GetAtt`, `Fn::Sub` reference) inside `value` points to. */
export function referencedIds(value: unknown, out: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) {
    for (const v of value) referencedIds(v, out);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (k === 'Ref' && typeof v === 'string' && !v.startsWith('AWS::')) {out.add(v);} else if (k === 'Fn::GetAtt') {out.add(Array.isArray(v) ? String(v[0]) : String(v).split('.')[0]);} else if (k === 'Fn::Sub') {
        const text = Array.isArray(v) ? String(v[0]) : String(v);
        for (const m of text.matchAll(/\$\{([^}!.]+)(?:\.[^}]*)?\}/g)) {
          if (!m[1].startsWith('AWS::')) out.add(m[1]);
        }
        if (Array.isArray(v)) referencedIds(v[1], out);
      } else {referencedIds(v, out);}
    }
  }
  return out;
}

/** The definition of a state machine resource, resolved with readable placeholders. */
export function definitionOf(template: CfnTemplate, logicalId: string): AslDefinition {
  const resolver = new PlaceholderResolver(template);
  const props = resolver.resource(logicalId).Properties ?? {};
  let text: string;
  if (props.DefinitionString !== undefined) {
    text = resolver.resolveString(props.DefinitionString, `${logicalId}.DefinitionString`);
  } else if (props.Definition !== undefined) {
    text = JSON.stringify(resolver.resolve(props.Definition));
  } else {
    throw new Error(`state machine '${logicalId}' has no inline definition (DefinitionS3Location is not read)`);
  }
  const substitutions = props.DefinitionSubstitutions as Record<string, unknown> | undefined;
  if (substitutions) {
    const values: Record<string, string> = {};
    for (const [key, value] of Object.entries(substitutions)) {
      const resolved = resolver.resolve(value);
      values[key] = typeof resolved === 'string' ? resolved : JSON.stringify(resolved);
    }
    // placeholders are JSON-safe (no quotes or backslashes), so a textual replacement keeps the JSON valid
    text = text.replace(/\$\{([^}]+)\}/g, (whole, key: string) => (key in values ? values[key] : whole));
  }
  try {
    return JSON.parse(text) as AslDefinition;
  } catch (e) {
    throw new Error(`the definition of state machine '${logicalId}' is not valid JSON after resolution: ${(e as Error).message}`);
  }
}

/** A template of the assembly. */
export interface AssemblyTemplate {
  readonly stack: string;
  readonly file: string;
  readonly template: CfnTemplate;
}

/**
 * Every stack template of a cloud assembly directory (nested assemblies included), each with its
 * nested stacks merged in (`mergeNestedTemplates`): a workflow whose children, functions or alarms
 * the library placed in nested stacks reads as one template, with prefixed logical ids for the
 * nested resources.
 */
export function assemblyTemplates(dir: string): AssemblyTemplate[] {
  const manifestFile = path.join(dir, 'manifest.json');
  if (!fs.existsSync(manifestFile)) {
    throw new Error(`'${dir}' is not a cloud assembly: it has no manifest.json. Run 'cdk synth' first (or pass the cdk.out directory).`);
  }
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as { artifacts?: Record<string, { type: string; properties?: Record<string, unknown>; displayName?: string }> };
  const out: AssemblyTemplate[] = [];
  const assets = assetFiles(dir);
  // A nested stack's template: the file its resource names in `aws:asset:path` metadata (cdk synth
  // adds it), else the file asset whose hash its TemplateURL ends with (the assets manifest).
  const readNested = (_id: string, r: CfnResource): CfnTemplate | undefined => {
    const asset = (r.Metadata as Record<string, unknown> | undefined)?.['aws:asset:path'];
    const hash = /([0-9a-f]{64})\.json/.exec(JSON.stringify(r.Properties?.TemplateURL ?? ''))?.[1];
    const file = typeof asset === 'string' ? path.join(dir, asset) : hash ? assets.get(hash) : undefined;
    return file && fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) as CfnTemplate : undefined;
  };
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type === 'aws:cloudformation:stack' && typeof artifact.properties?.templateFile === 'string') {
      const file = path.join(dir, artifact.properties.templateFile);
      if (!fs.existsSync(file)) continue;
      const template = mergeNestedTemplates(JSON.parse(fs.readFileSync(file, 'utf8')) as CfnTemplate, readNested);
      out.push({ stack: artifact.displayName ?? id, file, template });
    } else if (artifact.type === 'cdk:cloud-assembly' && typeof artifact.properties?.directoryName === 'string') {
      out.push(...assemblyTemplates(path.join(dir, artifact.properties.directoryName)));
    }
  }
  return out;
}

/** The file assets of the assembly's asset manifests, by hash (their source paths). */
function assetFiles(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of fs.readdirSync(dir).filter((f) => f.endsWith('.assets.json'))) {
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as { files?: Record<string, { source?: { path?: string } }> };
    for (const [hash, asset] of Object.entries(manifest.files ?? {})) {
      if (typeof asset.source?.path === 'string') out.set(hash, path.join(dir, asset.source.path));
    }
  }
  return out;
}

const MACHINE_TYPE = 'AWS::StepFunctions::StateMachine';

/** A readable name from a logical id: without the 8-hex-digit hash CDK appends, and without a trailing `StateMachine`. */
export function readableName(logicalId: string): string {
  const base = logicalId.replace(/[0-9A-F]{8}$/, '');
  return base.replace(/StateMachine$/, '') || base || logicalId;
}

/** Every state machine of a cloud assembly directory, in manifest and template order. */
export function assemblyWorkflows(dir: string): AssemblyWorkflow[] {
  const out: AssemblyWorkflow[] = [];
  for (const t of assemblyTemplates(dir)) {
    for (const [logicalId, r] of Object.entries(t.template.Resources ?? {})) {
      if (r.Type !== MACHINE_TYPE) continue;
      const constructPath = (r.Metadata as Record<string, unknown> | undefined)?.['aws:cdk:path'];
      const cleanPath = typeof constructPath === 'string' ? constructPath.replace(/\/(StateMachine\/)?Resource$/, '').replace(/\/StateMachine$/, '') : undefined;
      out.push({
        stack: t.stack,
        templateFile: t.file,
        logicalId,
        name: cleanPath ?? `${t.stack}/${readableName(logicalId)}`,
        constructPath: typeof constructPath === 'string' ? constructPath : undefined,
        type: r.Properties?.StateMachineType === 'EXPRESS' ? 'EXPRESS' : 'STANDARD',
        definition: definitionOf(t.template, logicalId),
        template: t.template,
      });
    }
  }
  return out;
}

/**
 * Finds one workflow by logical id, name, construct path, or the last part of its name
 * (case-insensitive); throws an error listing the workflows when none or several match.
 */
export function findWorkflow(workflows: readonly AssemblyWorkflow[], query: string): AssemblyWorkflow {
  const q = query.toLowerCase();
  const keys = (w: AssemblyWorkflow): string[] => [w.logicalId, w.name, w.constructPath ?? '', w.name.split('/').pop() ?? '', readableName(w.logicalId)]
    .filter(Boolean).map((k) => k.toLowerCase());
  let matches = workflows.filter((w) => keys(w).includes(q));
  if (matches.length === 0) {
    matches = workflows.filter((w) => keys(w).some((k) => k.includes(q)));
  }
  const list = workflows.map((w) => `  ${w.name} (${w.logicalId})`).join('\n') || '  (none)';
  if (matches.length === 0) {
    throw new Error(`no workflow matches '${query}'. Workflows in the assembly:\n${list}`);
  }
  if (matches.length > 1) {
    throw new Error(`'${query}' matches ${matches.length} workflows; use a logical id or the full name:\n${matches.map((w) => `  ${w.name} (${w.logicalId})`).join('\n')}`);
  }
  return matches[0];
}

/**
 * A readable name for a resource a state references: a Lambda alias or version as
 * `<function>:<alias>`, a function, table or state machine by its readable logical id.
 */
export function resourceName(template: CfnTemplate, logicalId: string): string {
  const r = template.Resources?.[logicalId];
  if (!r) return logicalId;
  if (r.Type === 'AWS::Lambda::Alias' || r.Type === 'AWS::Lambda::Version') {
    const fn = referencedIds(r.Properties?.FunctionName);
    const fnId = [...fn][0];
    const qualifier = r.Type === 'AWS::Lambda::Alias' && typeof r.Properties?.Name === 'string' ? `:${r.Properties.Name}` : '';
    return `${fnId ? readableName(fnId).replace(/Function$/, '') : readableName(logicalId)}${qualifier}`;
  }
  if (r.Type === 'AWS::Lambda::Function') return readableName(logicalId).replace(/Function$/, '');
  return readableName(logicalId);
}
