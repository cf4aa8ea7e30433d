/**
 * Template normalization for snapshot tests: masks the values that change when code or
 * asset contents change, and nothing else.
 */
import { Stack, Stage } from 'aws-cdk-lib';

/** Replacement for a 64-hex asset hash. */
export const ASSET_HASH_MASK = '[ASSET_HASH]';
/** Replacement for the 32-hex code hash suffix of a Lambda `Version` logical id. */
export const VERSION_HASH_MASK = '[VERSION_HASH]';
/** Replacement for a CDK bootstrap assets bucket name. */
export const ASSET_BUCKET_MASK = '[ASSET_BUCKET]';

const ASSET_HASH = /[0-9a-f]{64}/g;
const ASSET_BUCKET = /cdk-[a-z0-9]+-assets-[^"\s/]*/g;
const VERSION_ID = /^(.*CurrentVersion[0-9A-F]{8})[0-9a-f]{32}$/;

/**
 * Returns a copy of a synthesized template with volatile values masked, so that snapshot
 * tests only change when the infrastructure does:
 *
 * - asset hashes (64 hex, e.g. `S3Key: "<hash>.zip"`, image tags) → `[ASSET_HASH]`;
 * - bootstrap asset bucket names (`cdk-hnb659fds-assets-...`) → `[ASSET_BUCKET]`;
 * - the code-hash suffix of Lambda `Version` logical ids (`FnCurrentVersion1A2B3C4D<32 hex>`)
 *   → `FnCurrentVersion1A2B3C4D[VERSION_HASH]`, in the resource key and in every `Ref`,
 *   `Fn::GetAtt`, `Fn::Sub`, `DependsOn` and output that names it;
 * - `aws:asset:*` resource metadata → removed.
 *
 * Pure: the input is not modified.
 */
export function normalizeTemplate<T extends object>(template: T): T {
  const resources = ((template as { Resources?: Record<string, { Type?: string }> }).Resources ?? {}) as Record<string, { Type?: string }>;
  const renames = new Map<string, string>();
  for (const [id, resource] of Object.entries(resources)) {
    const m = VERSION_ID.exec(id);
    if (m && resource?.Type === 'AWS::Lambda::Version') {
      renames.set(id, `${m[1]}${VERSION_HASH_MASK}`);
    }
  }
  const renameIn = (s: string): string => {
    let out = s;
    for (const [from, to] of renames) {
      if (out.includes(from)) out = out.split(from).join(to);
    }
    return out;
  };
  const maskString = (s: string): string => renameIn(s).replace(ASSET_BUCKET, ASSET_BUCKET_MASK).replace(ASSET_HASH, ASSET_HASH_MASK);

  const walk = (value: unknown, key?: string): unknown => {
    if (typeof value === 'string') {
      return maskString(value);
    }
    if (Array.isArray(value)) {
      return value.map((v) => walk(v));
    }
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        if (key === 'Metadata' && k.startsWith('aws:asset:')) continue;
        out[maskString(k)] = walk(v, k);
      }
      if (key === 'Metadata' && Object.keys(out).length === 0) {
        return undefined;
      }
      return out;
    }
    return value;
  };
  const result = walk(template) as Record<string, unknown>;
  // drop the Metadata blocks that only held asset metadata
  const outResources = result.Resources as Record<string, Record<string, unknown>> | undefined;
  for (const resource of Object.values(outResources ?? {})) {
    if (resource && typeof resource === 'object' && 'Metadata' in resource && resource.Metadata === undefined) {
      delete resource.Metadata;
    }
  }
  return result as T;
}

/**
 * Synthesizes a stack (its whole app) and returns its normalized template, ready for
 * `expect(normalizedTemplate(stack)).toMatchSnapshot()`.
 */
export function normalizedTemplate(stack: Stack): Record<string, unknown> {
  const stage = Stage.of(stack);
  if (!stage) {
    throw new Error(`normalizedTemplate: stack '${stack.stackName}' is not in an App/Stage`);
  }
  const template = stage.synth().getStackArtifact(stack.artifactId).template as Record<string, unknown>;
  return normalizeTemplate(template);
}
