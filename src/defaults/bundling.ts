import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FileAssetLocation, FileAssetPackaging, Lazy, Stack, Stage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct, IConstruct } from 'constructs';
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
  /** The code to deploy (its asset is built at synthesis, in one esbuild build for the app). */
  readonly code: lambda.Code;
  /** The Lambda handler (`index.<export>`). */
  readonly handler: string;
}

/** esbuild activity of this process, for the benchmark and tests. @internal */
export const bundlingStats = { builds: 0, entries: 0, totalMs: 0 };

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

/** One entry of the app, bundled with every other entry that shares its build options. */
interface PendingEntry {
  readonly entry: string;
  /** esbuild options shared by a group of entries (one build per group). */
  readonly group: string;
  readonly buildOptions: Record<string, unknown>;
  readonly esm: boolean;
  readonly root: string;
  /** Construct paths of the functions using it (for error messages). */
  readonly users: string[];
  result?: { dir: string; hash: string };
}

/**
 * The app-wide bundler: WorkflowFunctions register their entries while the app is constructed;
 * the first time synthesis needs an asset location, every registered entry is built with ONE
 * esbuild `buildSync` call per distinct set of build options (usually one for the whole app).
 */
const BUNDLERS = new WeakMap<IConstruct, AppBundler>();

class AppBundler {
  public static of(scope: IConstruct): AppBundler {
    const root = scope.node.root;
    let bundler = BUNDLERS.get(root);
    if (!bundler) {
      bundler = new AppBundler();
      BUNDLERS.set(root, bundler);
    }
    return bundler;
  }

  private readonly entries = new Map<string, PendingEntry>();

  public register(scope: IConstruct, entry: string, root: string, esm: boolean, buildOptions: Record<string, unknown>): PendingEntry {
    const group = JSON.stringify({ root, esm, buildOptions });
    const key = JSON.stringify({ entry, group });
    let pending = this.entries.get(key);
    if (!pending) {
      pending = { entry, group, buildOptions, esm, root, users: [] };
      this.entries.set(key, pending);
    }
    pending.users.push(scope.node.path);
    return pending;
  }

  /** Builds every entry not built yet: one esbuild build per group of options. */
  public build(): void {
    const groups = new Map<string, PendingEntry[]>();
    for (const pending of this.entries.values()) {
      if (pending.result) continue;
      groups.set(pending.group, [...(groups.get(pending.group) ?? []), pending]);
    }
    for (const members of groups.values()) {
      this.buildGroup(members);
    }
  }

  private buildGroup(members: PendingEntry[]): void {
    const { root, esm, buildOptions } = members[0];
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'swf-bundle-'));
    const entryPoints: Record<string, string> = {};
    members.forEach((m, i) => { entryPoints[`e${i}/index`] = m.entry; });
    const started = performance.now();
    try {
      // https://esbuild.github.io/api/#build (JavaScript API); several entry points in one build
      // https://esbuild.github.io/api/#entry-points ({ out: in } names each output)
      esbuild().buildSync({
        ...buildOptions,
        entryPoints,
        outdir,
        outExtension: esm ? { '.js': '.mjs' } : undefined,
        absWorkingDir: root,
        bundle: true,
        platform: 'node',
        write: true,
      });
    } catch (e) {
      const users = members.flatMap((m) => m.users).join(', ');
      throw new Error(`[${users}] esbuild failed to bundle ${members.map((m) => `'${path.relative(root, m.entry)}'`).join(', ')}: ${(e as Error).message.split('\n').slice(0, 8).join(' ')}. Fix the code or the bundling options.`);
    }
    bundlingStats.builds++;
    bundlingStats.entries += members.length;
    bundlingStats.totalMs += performance.now() - started;
    members.forEach((m, i) => {
      const dir = path.join(outdir, `e${i}`);
      m.result = { dir, hash: hashDirectory(dir) };
    });
  }
}

let esbuildForBuild: Esbuild | undefined;
function esbuild(): Esbuild {
  return esbuildForBuild!;
}

/** SHA-256 over the names and contents of the files of a directory (sorted): the asset hash. */
function hashDirectory(dir: string): string {
  const hash = createHash('sha256');
  for (const name of fs.readdirSync(dir).sort()) {
    hash.update(name).update('\0').update(fs.readFileSync(path.join(dir, name))).update('\0');
  }
  return hash.digest('hex');
}

/**
 * Lambda code whose asset is the entry's bundle, built at synthesis by the app-wide bundler. The
 * asset is staged into the cloud assembly and registered with the stack synthesizer the first time
 * the template asks for its location, so its hash is the hash of the bundle itself.
 */
class EntryBundleCode extends lambda.Code {
  public readonly isInline = false;
  private location?: FileAssetLocation;

  public constructor(private readonly bundler: AppBundler, private readonly pending: PendingEntry) {
    super();
  }

  public bind(scope: Construct): lambda.CodeConfig {
    const stack = Stack.of(scope);
    const locate = (): FileAssetLocation => {
      if (!this.location) {
        this.bundler.build();
        const { dir, hash } = this.pending.result!;
        const stage = Stage.of(stack)!;
        const staged = path.join(stage.assetOutdir, `asset.${hash}`);
        if (!fs.existsSync(staged)) {
          fs.mkdirSync(staged, { recursive: true });
          for (const name of fs.readdirSync(dir)) fs.copyFileSync(path.join(dir, name), path.join(staged, name));
        }
        this.location = stack.synthesizer.addFileAsset({
          sourceHash: hash,
          fileName: path.relative(stage.outdir, staged),
          packaging: FileAssetPackaging.ZIP_DIRECTORY,
        });
      }
      return this.location;
    };
    return {
      s3Location: {
        bucketName: Lazy.string({ produce: () => locate().bucketName }),
        objectKey: Lazy.string({ produce: () => locate().objectKey }),
      },
    };
  }
}

/**
 * Bundles `entry` in-process with esbuild's JavaScript API: no Docker, no `npx` process. Entries
 * are registered while the app is constructed and built together at synthesis, in ONE esbuild
 * build per distinct set of options (functions with the same entry and options share one bundle).
 * esbuild writes paths relative to the project root, so the asset hash (a hash of the bundle)
 * only changes when the code does.
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
  const handler = `index.${exportName}`;
  const root = projectRoot(entry, props.depsLockFilePath);

  if (!Stack.of(scope).bundlingRequired) {
    const relative = path.relative(root, entry).split(path.sep).join('/');
    const dir = stubDir(`// bundling skipped for this stack (aws:cdk:bundling-stacks): ${relative}\n`, esm ? 'index.mjs' : 'index.js');
    return { code: lambda.Code.fromAsset(dir), handler };
  }
  // fail at construction, not at synthesis, when esbuild is missing
  esbuildForBuild = loadEsbuild(scope);

  const major = /^nodejs(\d+)/.exec(props.runtime.name)?.[1];
  const sourcemap = options.sourceMap
    ? (options.sourceMapMode === nodejs.SourceMapMode.INLINE ? 'inline'
      : options.sourceMapMode === nodejs.SourceMapMode.EXTERNAL ? 'external'
        : options.sourceMapMode === nodejs.SourceMapMode.BOTH ? 'both' : 'linked')
    : false;
  const buildOptions: Record<string, unknown> = stripUndefined({
    format: esm ? 'esm' : 'cjs',
    target: options.target ?? (major ? `node${major}` : 'node20'),
    external: options.externalModules ?? (options.bundleAwsSDK ? [] : ['@aws-sdk/*']),
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
  const bundler = AppBundler.of(scope);
  const pending = bundler.register(scope, entry, root, esm, buildOptions);
  return { code: new EntryBundleCode(bundler, pending), handler };
}

function stripUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
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
