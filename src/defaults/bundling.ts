import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { IConstruct } from 'constructs';
import { workflowError } from '../core/errors';

/**
 * The `nodejs.BundlingOptions` fields the in-process bundler honours. Every other field (Docker
 * image, command hooks, `nodeModules`, `esbuildArgs`, ...) needs a Docker or shell build and is
 * refused with an error naming it.
 * @internal
 */
export const SUPPORTED_BUNDLING_OPTIONS: ReadonlyArray<keyof nodejs.BundlingOptions> = [
  'minify', 'sourceMap', 'sourceMapMode', 'sourcesContent', 'target', 'loader', 'logLevel', 'keepNames',
  'tsconfig', 'banner', 'footer', 'charset', 'define', 'mainFields', 'inject', 'externalModules', 'format',
  'bundleAwsSDK', 'forceDockerBundling',
];

/** Result of bundling one entry. @internal */
export interface BundledEntry {
  /** The code to deploy. */
  readonly code: lambda.Code;
  /** The Lambda handler (`index.<export>`). */
  readonly handler: string;
  /** Wall time spent in esbuild for this entry (0 when served from the cache or skipped). */
  readonly buildMs: number;
}

/** Per-app cache: one build per distinct (entry, options), one output directory per build. */
const CACHE = new WeakMap<IConstruct, Map<string, { dir: string; file: string }>>();

/** Cumulative esbuild time of this process, for the benchmark. @internal */
export const bundlingStats = { builds: 0, cacheHits: 0, totalMs: 0 };

/** The part of esbuild's JavaScript API used here (esbuild is an optional peer: no type import). */
interface Esbuild {
  buildSync(options: Record<string, unknown>): unknown;
}
let esbuildModule: Esbuild | undefined;

function loadEsbuild(scope: IConstruct): Esbuild {
  if (!esbuildModule) {
    try {
      // esbuild is an optional peer dependency, loaded only when an `entry` is bundled.
      // eslint-disable-next-line @typescript-eslint/no-require-imports, import/no-extraneous-dependencies
      esbuildModule = require('esbuild') as Esbuild;
    } catch {
      throw workflowError(scope, '`entry` is bundled in-process with esbuild, which is not installed. Add it to your project (`npm install -D esbuild`), or give ready-made `code` (e.g. lambda.Code.fromAsset) instead of `entry`.');
    }
  }
  return esbuildModule;
}

/** The directory holding the nearest lock file (the project root esbuild resolves from). */
function projectRoot(entry: string, depsLockFilePath?: string): string {
  if (depsLockFilePath) {
    return path.dirname(path.resolve(depsLockFilePath));
  }
  let dir = path.dirname(entry);
  for (;;) {
    for (const lock of ['package-lock.json', 'yarn.lock', 'pnpm-lock.yaml', 'bun.lockb', 'bun.lock']) {
      if (fs.existsSync(path.join(dir, lock))) return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) return path.dirname(entry);
    dir = parent;
  }
}

/**
 * Bundles `entry` in-process with esbuild's JavaScript API (`buildSync`: no Docker, no `npx`
 * process per function) into a directory that becomes a Lambda asset. Functions of one app with the
 * same entry and options share one build. The output is deterministic (esbuild writes paths
 * relative to the project root), so the asset hash only changes when the code does.
 *
 * When the stack is excluded from bundling (`aws:cdk:bundling-stacks`, e.g. `cdk synth OtherStack`
 * or tests that only look at templates), nothing is built and a stub naming the entry is deployed,
 * as aws-cdk-lib does for skipped assets.
 * @internal
 */
export function bundleEntry(scope: IConstruct, props: {
  entry: string;
  handler?: string;
  runtime: lambda.Runtime;
  bundling?: nodejs.BundlingOptions;
  depsLockFilePath?: string;
}): BundledEntry {
  const options = props.bundling ?? {};
  const unsupported = Object.entries(options)
    .filter(([k, v]) => v !== undefined && !(SUPPORTED_BUNDLING_OPTIONS as string[]).includes(k))
    .map(([k]) => k);
  if (unsupported.length > 0) {
    throw workflowError(scope, `bundling.${unsupported.join(', bundling.')} is not supported: WorkflowFunction bundles in-process with esbuild's JavaScript API (no Docker, no shell). Supported: ${SUPPORTED_BUNDLING_OPTIONS.filter((k) => k !== 'forceDockerBundling').join(', ')}. Bundle it yourself and pass \`code: lambda.Code.fromAsset(dir)\` instead.`);
  }
  if (options.forceDockerBundling) {
    throw workflowError(scope, 'bundling.forceDockerBundling is true, but WorkflowFunction bundles in-process with esbuild and never uses Docker. Drop it, or bundle yourself and pass `code`.');
  }
  const entry = path.resolve(props.entry);
  if (!fs.existsSync(entry)) {
    throw workflowError(scope, `entry '${props.entry}' does not exist (resolved to ${entry}). Point \`entry\` at a .ts/.js file.`);
  }
  const exportName = props.handler ?? 'handler';
  if (!/^[A-Za-z_$][\w$]*$/.test(exportName)) {
    throw workflowError(scope, `handler '${exportName}' is not an export name. With \`entry\`, \`handler\` is the name of the exported function (e.g. 'handler').`);
  }
  const esm = options.format === nodejs.OutputFormat.ESM;
  const fileName = esm ? 'index.mjs' : 'index.js';
  const handler = `index.${exportName}`;
  const root = projectRoot(entry, props.depsLockFilePath);

  if (!Stack.of(scope).bundlingRequired) {
    const relative = path.relative(root, entry).split(path.sep).join('/');
    const dir = stubDir(`// bundling skipped for this stack (aws:cdk:bundling-stacks): ${relative}\n`, fileName);
    return { code: lambda.Code.fromAsset(dir), handler, buildMs: 0 };
  }

  const major = /^nodejs(\d+)/.exec(props.runtime.name)?.[1];
  const target = options.target ?? (major ? `node${major}` : 'node20');
  const external = options.externalModules ?? (options.bundleAwsSDK ? [] : ['@aws-sdk/*']);
  const key = JSON.stringify({ entry, root, target, external, fileName, options });
  const app = scope.node.root;
  let cache = CACHE.get(app);
  if (!cache) {
    cache = new Map();
    CACHE.set(app, cache);
  }
  const cached = cache.get(key);
  if (cached && fs.existsSync(path.join(cached.dir, cached.file))) {
    bundlingStats.cacheHits++;
    return { code: lambda.Code.fromAsset(cached.dir), handler, buildMs: 0 };
  }

  const esbuild = loadEsbuild(scope);
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'swf-bundle-'));
  const sourcemap = options.sourceMap
    ? (options.sourceMapMode === nodejs.SourceMapMode.INLINE ? 'inline'
      : options.sourceMapMode === nodejs.SourceMapMode.EXTERNAL ? 'external'
        : options.sourceMapMode === nodejs.SourceMapMode.BOTH ? 'both' : true)
    : false;
  const started = performance.now();
  try {
    // https://esbuild.github.io/api/#build (JavaScript API, buildSync)
    esbuild.buildSync({
      entryPoints: [entry],
      outfile: path.join(outdir, fileName),
      absWorkingDir: root,
      bundle: true,
      platform: 'node',
      format: esm ? 'esm' : 'cjs',
      target,
      external,
      minify: options.minify ?? false,
      sourcemap,
      sourcesContent: options.sourcesContent,
      keepNames: options.keepNames,
      define: options.define,
      loader: options.loader,
      tsconfig: options.tsconfig ? path.resolve(root, options.tsconfig) : undefined,
      mainFields: options.mainFields ?? (esm ? ['module', 'main'] : undefined),
      banner: options.banner ? { js: options.banner } : undefined,
      footer: options.footer ? { js: options.footer } : undefined,
      charset: options.charset === nodejs.Charset.UTF8 ? 'utf8' : undefined,
      inject: options.inject?.map((f) => path.resolve(root, f)),
      logLevel: options.logLevel === nodejs.LogLevel.VERBOSE ? 'verbose'
        : options.logLevel === nodejs.LogLevel.INFO ? 'info'
          : options.logLevel === nodejs.LogLevel.SILENT ? 'silent' : 'error',
    });
  } catch (e) {
    throw workflowError(scope, `esbuild failed to bundle entry '${path.relative(root, entry)}': ${(e as Error).message.split('\n').slice(0, 6).join(' ')}. Fix the code or the bundling options.`);
  }
  const buildMs = performance.now() - started;
  bundlingStats.builds++;
  bundlingStats.totalMs += buildMs;
  cache.set(key, { dir: outdir, file: fileName });
  return { code: lambda.Code.fromAsset(outdir), handler, buildMs };
}

const stubs = new Map<string, string>();

function stubDir(content: string, fileName: string): string {
  const key = createHash('sha256').update(fileName).update(content).digest('hex');
  const existing = stubs.get(key);
  if (existing && fs.existsSync(existing)) return existing;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swf-stub-'));
  fs.writeFileSync(path.join(dir, fileName), content);
  stubs.set(key, dir);
  return dir;
}
