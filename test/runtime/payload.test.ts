import { mkdtempSync, rmSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SequentialWorkflow, Step } from '../../src';
import {
  DEFAULT_OFFLOAD_THRESHOLD_BYTES, isPayloadRef, offload, PAYLOAD_BUCKET_ENV, PAYLOAD_PREFIX_ENV, PAYLOAD_REF_KEY, resolve,
} from '../../src/runtime';
import { LocalWorkflowRunner } from '../../src/testing';
import { inlineFunction, newStack } from '../util';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver');

/**
 * The handler-side payload helpers against a real S3-compatible server (s3rver, in-process on
 * 127.0.0.1, random port, started and stopped here).
 */
const BUCKET = 'payload-store-test';
let server: any;
let directory: string;
let s3: S3Client;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 's3rver-'));
  server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: BUCKET, configs: [] }] });
  const address: AddressInfo = await server.run();
  s3 = new S3Client({
    endpoint: `http://127.0.0.1:${address.port}`,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    // s3rver predates the SDK's default flexible checksums
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
});

afterAll(async () => {
  s3?.destroy();
  await server?.close();
  rmSync(directory, { recursive: true, force: true });
});

const big = (kib: number) => ({ rows: Array.from({ length: kib }, (_, i) => ({ i, pad: 'x'.repeat(1000) })) });

describe('offload / resolve', () => {
  test('a result at or under the threshold is returned as is, without touching S3', async () => {
    const noS3 = { send: async () => { throw new Error('S3 must not be called'); } };
    const small = { ok: true };
    await expect(offload(small, { s3: noS3, bucket: BUCKET })).resolves.toBe(small);
    const exact = { s: 'y'.repeat(DEFAULT_OFFLOAD_THRESHOLD_BYTES - 8) }; // {"s":"..."} = threshold bytes
    expect(Buffer.byteLength(JSON.stringify(exact))).toBe(DEFAULT_OFFLOAD_THRESHOLD_BYTES);
    await expect(offload(exact, { s3: noS3, bucket: BUCKET })).resolves.toBe(exact);
  });

  test('a larger result is written to S3 and a small reference returned; resolve reads it back', async () => {
    const result = big(300); // ~300 KiB: over the 256 KiB Step Functions limit
    const ref = await offload(result, { s3, bucket: BUCKET, key: 'run-1/Render.json' });
    expect(isPayloadRef(ref)).toBe(true);
    const bytes = Buffer.byteLength(JSON.stringify(result));
    expect(ref).toEqual({ [PAYLOAD_REF_KEY]: { bucket: BUCKET, key: 'payloads/run-1/Render.json', bytes } });
    expect(JSON.stringify(ref).length).toBeLessThan(200);
    const stored = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'payloads/run-1/Render.json' }));
    expect(stored.ContentType).toBe('application/json');
    await expect(resolve(ref, { s3 })).resolves.toEqual(result);
  });

  test('bucket and prefix come from the environment PayloadStore sets; the key defaults to a UUID', async () => {
    process.env[PAYLOAD_BUCKET_ENV] = BUCKET;
    process.env[PAYLOAD_PREFIX_ENV] = 'tenant-a/';
    try {
      const ref: any = await offload(big(40), { s3 });
      expect(ref[PAYLOAD_REF_KEY].bucket).toBe(BUCKET);
      expect(ref[PAYLOAD_REF_KEY].key).toMatch(/^tenant-a\/[0-9a-f-]{36}\.json$/);
      await expect(resolve(ref, { s3 })).resolves.toEqual(big(40));
    } finally {
      delete process.env[PAYLOAD_BUCKET_ENV];
      delete process.env[PAYLOAD_PREFIX_ENV];
    }
  });

  test('resolve passes any other value through', async () => {
    await expect(resolve({ a: 1 })).resolves.toEqual({ a: 1 });
    await expect(resolve('text')).resolves.toBe('text');
    expect(isPayloadRef({ [PAYLOAD_REF_KEY]: { bucket: 'b', key: 'k', bytes: 1 }, other: 1 })).toBe(false);
  });

  test('a large result without a known bucket is refused with the fix', async () => {
    await expect(offload(big(40), { s3 })).rejects.toThrow(/no bucket is known\. Attach a PayloadStore to the function/);
  });

  test('an object changed after it was offloaded is refused', async () => {
    const ref: any = await offload(big(40), { s3, bucket: BUCKET, key: 'changed.json' });
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'payloads/changed.json', Body: '{"other":1}' }));
    await expect(resolve(ref, { s3 })).rejects.toThrow(/holds 11 bytes but the reference says \d+; the object was changed/);
  });

  test('@aws-sdk/client-s3 is loaded only when an object is written or read', async () => {
    let loaded = false;
    await jest.isolateModulesAsync(async () => {
      jest.doMock('@aws-sdk/client-s3', () => {
        loaded = true;
        return jest.requireActual('@aws-sdk/client-s3');
      });
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const runtime = require('../../src/runtime');
      await runtime.offload({ small: true }, { bucket: BUCKET });
      await runtime.resolve({ plain: true });
      expect(loaded).toBe(false);
      await runtime.offload(big(40), { s3, bucket: BUCKET });
      expect(loaded).toBe(true);
    });
  });
});

describe('a workflow whose step result exceeds 256 KiB runs with the payload store', () => {
  test('executed: Render offloads ~300 KiB, Publish resolves it; the state carries only the reference', async () => {
    const stack = newStack();
    const fn = inlineFunction(stack, 'Fn');
    const workflow = new SequentialWorkflow(stack, 'Wf', { steps: [Step.lambda('Render', fn), Step.lambda('Publish', fn)] });
    let seenRows = 0;
    const runner = await LocalWorkflowRunner.create(workflow, {
      handlers: {
        Render: async () => offload(big(300), { s3, bucket: BUCKET }),
        Publish: async (event: any) => {
          const rendered: any = await resolve(event.results.Render, { s3 });
          seenRows = rendered.rows.length;
          return { rows: seenRows };
        },
      },
    });
    try {
      const result = await runner.run({ doc: 'd-1' });
      expect(result.status).toBe('SUCCEEDED');
      expect(seenRows).toBe(300);
      const output: any = result.output;
      expect(isPayloadRef(output.results.Render)).toBe(true);
      expect(output.results.Publish).toEqual({ rows: 300 });
      expect(JSON.stringify(output).length).toBeLessThan(400);
    } finally {
      await runner.close();
    }
  });
});
