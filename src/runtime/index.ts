/**
 * Handler-side helpers of cdk-stateful-workflows (the `cdk-stateful-workflows/runtime` entry
 * point, TypeScript/JavaScript only). They run inside your Lambda handlers.
 *
 * Bounded payloads: Step Functions fails an execution whose state (or a task result) exceeds
 * 256 KiB with `States.DataLimitExceeded`, which no Catch can handle
 * (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html, "Maximum input or
 * output size for a task, state, or execution"). `offload(result)` writes a result above a
 * threshold to the `PayloadStore` bucket and returns a small reference instead; `resolve(ref)`
 * reads it back. The AWS SDK for JavaScript v3 S3 client (`@aws-sdk/client-s3`, part of the
 * Lambda Node.js runtimes) is loaded only when an object is actually written or read.
 */
import { randomUUID } from 'node:crypto';
import {
  DEFAULT_OFFLOAD_THRESHOLD_BYTES,
  DEFAULT_PAYLOAD_PREFIX,
  PAYLOAD_BUCKET_ENV,
  PAYLOAD_PREFIX_ENV,
  PAYLOAD_REF_KEY,
} from './constants';

export { DEFAULT_OFFLOAD_THRESHOLD_BYTES, PAYLOAD_BUCKET_ENV, PAYLOAD_PREFIX_ENV, PAYLOAD_REF_KEY };

/** Where an offloaded result is stored. */
export interface PayloadLocation {
  readonly bucket: string;
  readonly key: string;
  /** Size of the stored JSON in bytes (UTF-8). */
  readonly bytes: number;
}

/** The small object that travels in the workflow state instead of a large result. */
export interface PayloadRef {
  readonly [PAYLOAD_REF_KEY]: PayloadLocation;
}

/** The subset of an S3 client the helpers use (an `S3Client` of `@aws-sdk/client-s3`). */
export interface S3ClientLike {
  send(command: any): Promise<any>;
}

/** Options shared by `offload` and `resolve`. */
export interface PayloadClientOptions {
  /** The S3 client. Default: one `S3Client` per process, created on first use. */
  readonly s3?: S3ClientLike;
}

/** Options of `offload`. */
export interface OffloadOptions extends PayloadClientOptions {
  /** Bucket. Default: the `CDK_STATEFUL_WORKFLOWS_PAYLOAD_BUCKET` environment variable (set by `PayloadStore`). */
  readonly bucket?: string;
  /** Key prefix. Default: `CDK_STATEFUL_WORKFLOWS_PAYLOAD_PREFIX`, else `payloads/`. */
  readonly prefix?: string;
  /** Results larger than this (JSON, UTF-8 bytes) are offloaded. Default 32 KiB. */
  readonly thresholdBytes?: number;
  /** Object key below the prefix. Default: a random UUID plus `.json`. Give a deterministic one (e.g. execution name + step) to make retries overwrite instead of adding objects. */
  readonly key?: string;
}

type S3Module = typeof import('@aws-sdk/client-s3');
let s3Module: S3Module | undefined;
let defaultClient: S3ClientLike | undefined;

/** Loads `@aws-sdk/client-s3` on first use only (handlers that never offload never load it). */
function loadS3(): S3Module {
  if (!s3Module) {
    try {
      // Lazy and optional: the Lambda Node.js runtimes ship the AWS SDK v3, and this package does not
      // bundle it (it is a devDependency here, used by the tests).
      // eslint-disable-next-line @typescript-eslint/no-require-imports, import/no-extraneous-dependencies
      s3Module = require('@aws-sdk/client-s3') as S3Module;
    } catch (e) {
      throw new Error(`cdk-stateful-workflows/runtime: '@aws-sdk/client-s3' cannot be loaded (${(e as Error).message}). It ships with the Lambda Node.js runtimes; elsewhere install it.`);
    }
  }
  return s3Module;
}

function clientOf(options?: PayloadClientOptions): S3ClientLike {
  if (options?.s3) {
    return options.s3;
  }
  if (!defaultClient) {
    defaultClient = new (loadS3().S3Client)({});
  }
  return defaultClient;
}

/** Whether `value` is a payload reference produced by `offload`. */
export function isPayloadRef(value: unknown): value is PayloadRef {
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return false;
  }
  const ref = (value as any)[PAYLOAD_REF_KEY];
  return Object.keys(value).length === 1 && !!ref && typeof ref.bucket === 'string' && typeof ref.key === 'string' && typeof ref.bytes === 'number';
}

/**
 * Returns `result` unchanged when its JSON is at most `thresholdBytes`; otherwise writes the
 * JSON to S3 and returns `{ "$payloadRef": { bucket, key, bytes } }`.
 */
export async function offload<T>(result: T, options: OffloadOptions = {}): Promise<T | PayloadRef> {
  const json = JSON.stringify(result);
  if (json === undefined) {
    return result;
  }
  const bytes = Buffer.byteLength(json, 'utf8');
  const threshold = options.thresholdBytes ?? DEFAULT_OFFLOAD_THRESHOLD_BYTES;
  if (!(threshold >= 0)) {
    throw new Error(`offload: thresholdBytes is ${threshold}; give a number of bytes >= 0.`);
  }
  if (bytes <= threshold) {
    return result;
  }
  const bucket = options.bucket ?? process.env[PAYLOAD_BUCKET_ENV];
  if (!bucket) {
    throw new Error(`offload: the result is ${bytes} bytes (threshold ${threshold}) but no bucket is known. Attach a PayloadStore to the function (Step.lambda(..., { payloadStore }) or payloadStore.grantReadWrite(fn)), which sets ${PAYLOAD_BUCKET_ENV}, or pass { bucket }.`);
  }
  const prefix = options.prefix ?? process.env[PAYLOAD_PREFIX_ENV] ?? DEFAULT_PAYLOAD_PREFIX;
  const key = `${prefix}${options.key ?? `${randomUUID()}.json`}`;
  const { PutObjectCommand } = loadS3();
  await clientOf(options).send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: json, ContentType: 'application/json' }));
  return { [PAYLOAD_REF_KEY]: { bucket, key, bytes } };
}

/**
 * Returns the stored result behind a payload reference; any other value is returned unchanged,
 * so a handler can call `resolve(event.input.results.X)` whether or not the result was offloaded.
 */
export async function resolve<T = unknown>(value: T | PayloadRef, options: PayloadClientOptions = {}): Promise<T> {
  if (!isPayloadRef(value)) {
    return value as T;
  }
  const { bucket, key, bytes } = value[PAYLOAD_REF_KEY];
  const { GetObjectCommand } = loadS3();
  const response = await clientOf(options).send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const text: string = await response.Body.transformToString('utf8');
  if (Buffer.byteLength(text, 'utf8') !== bytes) {
    throw new Error(`resolve: s3://${bucket}/${key} holds ${Buffer.byteLength(text, 'utf8')} bytes but the reference says ${bytes}; the object was changed after it was offloaded.`);
  }
  return JSON.parse(text) as T;
}
export * from './handler-types';
