/**
 * An S3-compatible server (s3rver) started in-process on 127.0.0.1 on a random port, holding the
 * buckets of the template, for Distributed Map item readers and result writers and for tests that
 * seed input objects or read written results.
 *
 * The server starts lazily (on the first call that needs it), keeps its data in a fresh temporary
 * directory and removes that directory when it is closed.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { S3Client } from '@aws-sdk/client-s3';
import { CfnElement, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { TemplateResolver } from './template-resolver';

/** Credentials s3rver checks signatures with (it accepts only these). */
const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** One object of a listing, as ListObjectsV2 returns it. */
export interface LocalS3Object {
  readonly Key: string;
  readonly Size: number;
  readonly ETag: string;
  readonly LastModified: Date;
  readonly StorageClass: string;
}

/** One `AWS::S3::Bucket` of the template: its logical id and its (fake) name on the local server. */
export interface BucketModel {
  readonly logicalId: string;
  readonly name: string;
}

/** The buckets of a template, with the names the runner resolves their `Ref`s to. */
export function templateBuckets(resolver: TemplateResolver): BucketModel[] {
  return resolver.logicalIdsOfType('AWS::S3::Bucket').map((logicalId) => ({ logicalId, name: resolver.physicalName(logicalId) }));
}

type S3Module = typeof import('@aws-sdk/client-s3');

function s3Module(): S3Module {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports, import/no-extraneous-dependencies
    return require('@aws-sdk/client-s3') as S3Module;
  } catch (e) {
    throw new Error(
      'LocalWorkflowRunner needs the package "@aws-sdk/client-s3" to run Distributed Map item readers and result writers locally. ' +
        `Install it as a dev dependency: npm install --save-dev @aws-sdk/client-s3 (${(e as Error).message})`,
    );
  }
}

interface Running {
  readonly endpoint: string;
  readonly client: S3Client;
  readonly server: { close(): Promise<void> };
  readonly directory: string;
}

/**
 * The runner's local S3 (`runner.s3`): an s3rver with the template's buckets.
 *
 * @example
 * await runner.s3.putObject(runner.s3.bucketName(inputBucket), 'items.json', [{ id: 1 }]);
 * const result = await runner.run({});
 * const manifest = await runner.s3.getJson(runner.s3.bucketName(resultBucket), key);
 */
export class LocalS3 {
  private running?: Promise<Running>;
  private closed = false;

  constructor(private readonly buckets: () => readonly BucketModel[]) {}

  /** Starts the server (once) and creates the template's buckets. Called by every other method. */
  async start(): Promise<{ endpoint: string; client: S3Client }> {
    if (this.closed) {
      throw new Error('LocalWorkflowRunner: the local S3 server is closed (runner.close() was called)');
    }
    if (!this.running) {
      this.running = this.boot();
    }
    const running = await this.running;
    return { endpoint: running.endpoint, client: running.client };
  }

  /** An S3 client pointed at the local server (path-style, s3rver's credentials). */
  async client(): Promise<S3Client> {
    return (await this.start()).client;
  }

  /** The endpoint, `http://127.0.0.1:<port>` (starts the server). */
  async endpoint(): Promise<string> {
    return (await this.start()).endpoint;
  }

  /**
   * The local name of a bucket of the template, from its construct, its logical id or its name
   * (`Ref`s and `bucketName`s in the synthesized state machines resolve to this name).
   */
  bucketName(bucket: IConstruct | string): string {
    const all = this.buckets();
    if (typeof bucket === 'string') {
      const found = all.find((b) => b.logicalId === bucket || b.name === bucket);
      if (found) return found.name;
      throw new Error(`LocalWorkflowRunner: '${bucket}' is not an S3 bucket of the template. Buckets: ${listBuckets(all)}`);
    }
    const logicalId = logicalIdOf(bucket);
    const found = all.find((b) => b.logicalId === logicalId);
    if (!found) {
      throw new Error(`LocalWorkflowRunner: '${bucket.node.path}' (${logicalId}) is not an S3 bucket of the template. Buckets: ${listBuckets(all)}`);
    }
    return found.name;
  }

  /** Creates a bucket that is not in the template (e.g. an imported one the workflow reads). */
  async createBucket(name: string): Promise<void> {
    const client = await this.client();
    const { CreateBucketCommand } = s3Module();
    try {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    } catch (e) {
      if ((e as Error).name !== 'BucketAlreadyOwnedByYou' && (e as Error).name !== 'BucketAlreadyExists') throw e;
    }
  }

  /**
   * Writes an object. A string or Buffer is written as is; anything else as JSON. A bucket that
   * does not exist yet is created (test setup convenience) unless `createBucket` is false.
   */
  async putObject(bucket: string, key: string, body: unknown, options: { readonly createBucket?: boolean } = {}): Promise<void> {
    const client = await this.client();
    const { PutObjectCommand } = s3Module();
    const data = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    const put = () => client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: data }));
    try {
      await put();
    } catch (e) {
      if ((e as Error).name !== 'NoSuchBucket' || options.createBucket === false) throw e;
      await this.createBucket(bucket);
      await put();
    }
  }

  /** Reads an object as a Buffer (rejects with `NoSuchKey` / `NoSuchBucket` as S3 does). */
  async getObjectBytes(bucket: string, key: string): Promise<Buffer> {
    const client = await this.client();
    const { GetObjectCommand } = s3Module();
    const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const bytes = await response.Body!.transformToByteArray();
    return Buffer.from(bytes);
  }

  /** Reads an object as UTF-8 text. */
  async getObject(bucket: string, key: string): Promise<string> {
    return (await this.getObjectBytes(bucket, key)).toString('utf8');
  }

  /** Reads an object and parses it as JSON. */
  async getJson<T = unknown>(bucket: string, key: string): Promise<T> {
    return JSON.parse(await this.getObject(bucket, key)) as T;
  }

  /** Every object under a prefix (all pages), in key order, as ListObjectsV2 returns them. */
  async listObjects(bucket: string, prefix?: string): Promise<LocalS3Object[]> {
    const client = await this.client();
    const { ListObjectsV2Command } = s3Module();
    const out: LocalS3Object[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) {
        out.push({ Key: o.Key!, Size: o.Size ?? 0, ETag: o.ETag ?? '', LastModified: o.LastModified ?? new Date(0), StorageClass: o.StorageClass ?? 'STANDARD' });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  /** Keys of every object under a prefix. */
  async listKeys(bucket: string, prefix?: string): Promise<string[]> {
    return (await this.listObjects(bucket, prefix)).map((o) => o.Key);
  }

  /** Stops the server (if it was started) and removes its data directory. */
  async close(): Promise<void> {
    this.closed = true;
    if (!this.running) return;
    const running = await this.running.catch(() => undefined);
    this.running = undefined;
    if (!running) return;
    running.client.destroy();
    try {
      await running.server.close();
    } finally {
      fs.rmSync(running.directory, { recursive: true, force: true });
    }
  }

  private async boot(): Promise<Running> {
    let S3rver: new (options: object) => {
      httpServer?: { closeAllConnections?: () => void };
      run(): Promise<{ port: number }>;
      close(): Promise<void>;
    };
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports, import/no-extraneous-dependencies
      S3rver = require('s3rver');
    } catch (e) {
      throw new Error(
        'LocalWorkflowRunner needs the package "s3rver" (3.x) to run Distributed Map item readers and result writers locally. ' +
          `Install it as a dev dependency: npm install --save-dev s3rver@^3 (${(e as Error).message})`,
      );
    }
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-stateful-workflows-s3-'));
    const server = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory,
      configureBuckets: this.buckets().map((b) => ({ name: b.name })),
    });
    let address: { port: number };
    try {
      address = await server.run();
    } catch (e) {
      fs.rmSync(directory, { recursive: true, force: true });
      throw new Error(`LocalWorkflowRunner: could not start the local S3 server (s3rver): ${(e as Error).message}`);
    }
    const endpoint = `http://127.0.0.1:${address.port}`;
    const { S3Client: Client } = s3Module();
    const client = new Client({
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: S3RVER_CREDENTIALS,
      maxAttempts: 1,
      // s3rver 3.x predates the SDK's default CRC32 checksums / aws-chunked uploads
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    return {
      endpoint,
      client,
      directory,
      server: {
        close: async () => {
          server.httpServer?.closeAllConnections?.();
          await server.close();
        },
      },
    };
  }
}

function listBuckets(all: readonly BucketModel[]): string {
  return all.map((b) => `${b.logicalId} (${b.name})`).join(', ') || '(none)';
}

function logicalIdOf(construct: IConstruct): string {
  let child: IConstruct | undefined = construct;
  while (child && !(child instanceof CfnElement)) {
    child = child.node.defaultChild;
  }
  if (!(child instanceof CfnElement)) {
    throw new Error(`LocalWorkflowRunner: bucket '${construct.node.path}' has no CloudFormation resource (imported?); pass its name instead`);
  }
  return Stack.of(construct).resolve(child.logicalId) as string;
}
