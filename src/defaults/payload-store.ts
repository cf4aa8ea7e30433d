import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { WorkflowFunction } from './workflow-function';
import { workflowError } from '../core/errors';
import { DEFAULT_PAYLOAD_PREFIX, PAYLOAD_BUCKET_ENV, PAYLOAD_PREFIX_ENV } from '../runtime/constants';

/**
 * Properties of a `PayloadStore`.
 */
export interface PayloadStoreProps {
  /**
   * Your own bucket. Mutually exclusive with `encryptionKey`, `expiration` and `removalPolicy`
   * (configure them on your bucket); if it is encrypted with a KMS key, pass that key as
   * `bucketKey` so that functions are granted its use.
   * @default - a bucket is created: encrypted, TLS-only, public access blocked, objects expiring
   */
  readonly bucket?: s3.IBucket;
  /**
   * The KMS key your own `bucket` is encrypted with.
   * @default - none (SSE-S3 or no customer key)
   */
  readonly bucketKey?: kms.IKey;
  /**
   * Customer-managed KMS key for the created bucket (SSE-KMS, with an S3 bucket key to cut KMS
   * requests).
   * @default - SSE-S3 (S3-managed keys)
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * How long a stored payload lives. It must outlive every execution that may still read the
   * reference (and checkpoints that keep one).
   * @default Duration.days(90) (the longest a Standard execution's history is kept after it closes)
   */
  readonly expiration?: Duration;
  /**
   * Key prefix under which functions write and read payloads; functions are granted this prefix only.
   * @default 'payloads/'
   */
  readonly keyPrefix?: string;
  /**
   * Removal policy of the created bucket.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * An S3 bucket for step results too large to travel in the workflow state (Step Functions fails
 * an execution whose state exceeds 256 KiB with the uncatchable `States.DataLimitExceeded`).
 *
 * A handler calls `offload(result)` from `cdk-stateful-workflows/runtime`: a result above the
 * threshold is written under the store's prefix and a small reference
 * `{ "$payloadRef": { bucket, key, bytes } }` is returned to the state instead; later handlers
 * call `resolve(ref)` to read it back. The created bucket is encrypted (SSE-S3, or SSE-KMS with
 * `encryptionKey`), refuses non-TLS requests, blocks public access, enforces bucket-owner
 * object ownership and expires objects after `expiration`.
 */
export class PayloadStore extends Construct {
  /** The bucket. */
  public readonly bucket: s3.IBucket;
  /** The key prefix functions write and read under. */
  public readonly keyPrefix: string;
  /** The KMS key of the bucket, if any. */
  public readonly encryptionKey?: kms.IKey;

  public constructor(scope: Construct, id: string, props: PayloadStoreProps = {}) {
    super(scope, id);
    const prefix = props.keyPrefix ?? DEFAULT_PAYLOAD_PREFIX;
    if (!Token.isUnresolved(prefix) && (prefix.length === 0 || prefix.startsWith('/') || !prefix.endsWith('/') || /[*?]/.test(prefix))) {
      throw workflowError(this, `keyPrefix '${prefix}' must be a non-empty S3 key prefix ending with '/', without a leading '/' or wildcards, e.g. 'payloads/'.`);
    }
    this.keyPrefix = prefix;
    if (props.bucket) {
      if (props.encryptionKey || props.expiration || props.removalPolicy) {
        throw workflowError(this, 'bucket is set together with encryptionKey/expiration/removalPolicy, which apply to a bucket this construct creates. Configure them on your bucket (pass its key as bucketKey), or drop bucket.');
      }
      this.bucket = props.bucket;
      this.encryptionKey = props.bucketKey;
      return;
    }
    if (props.bucketKey) {
      throw workflowError(this, 'bucketKey describes your own bucket, but bucket is not set. Use encryptionKey to encrypt the created bucket, or pass bucket.');
    }
    const expiration = props.expiration ?? Duration.days(90);
    const days = expiration.toDays({ integral: false });
    if (!Token.isUnresolved(days) && (!Number.isInteger(days) || days < 1)) {
      throw workflowError(this, `expiration is ${expiration.toHumanString()}; S3 lifecycle expiration counts whole days (at least 1). Use e.g. Duration.days(90).`);
    }
    this.encryptionKey = props.encryptionKey;
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: props.encryptionKey ? s3.BucketEncryption.KMS : s3.BucketEncryption.S3_MANAGED,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: props.encryptionKey ? true : undefined,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        { id: 'ExpirePayloads', prefix, expiration },
        { id: 'AbortIncompleteUploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
  }

  /**
   * Lets a `WorkflowFunction` offload results to the store and resolve references: sets the
   * bucket name and key prefix in its environment and grants `s3:PutObject` and `s3:GetObject`
   * on objects under the prefix only (and the KMS actions S3 needs for a customer key).
   */
  public grantReadWrite(fn: WorkflowFunction): iam.Grant {
    fn.function.addEnvironment(PAYLOAD_BUCKET_ENV, this.bucket.bucketName);
    fn.function.addEnvironment(PAYLOAD_PREFIX_ENV, this.keyPrefix);
    const grant = iam.Grant.addToPrincipal({
      grantee: fn.function,
      actions: ['s3:PutObject', 's3:GetObject'],
      resourceArns: [this.bucket.arnForObjects(`${this.keyPrefix}*`)],
    });
    // SSE-KMS uploads need GenerateDataKey (and Decrypt for the object checksum); reads need Decrypt
    // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#require-sse-kms).
    this.encryptionKey?.grant(fn.function, 'kms:GenerateDataKey', 'kms:Decrypt');
    return grant;
  }

  /**
   * Lets `grantee` resolve payload references (`s3:GetObject` under the prefix, `kms:Decrypt` for a
   * customer key). Use it for functions that only read offloaded results, and for the code that
   * reads a workflow's final output.
   */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:GetObject'],
      resourceArns: [this.bucket.arnForObjects(`${this.keyPrefix}*`)],
    });
    this.encryptionKey?.grantDecrypt(grantee);
    return grant;
  }
}
