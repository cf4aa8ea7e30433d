import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';

/** The kinds of S3 data sets a Distributed Map reads. */
enum SourceKind {
  JSON = 'JSON',
  JSONL = 'JSONL',
  CSV = 'CSV',
  OBJECTS = 'OBJECTS',
}

/**
 * Where a Distributed Map reads its items from, when they are not in the state input: one JSON,
 * JSON Lines or CSV file in S3, or the objects under an S3 prefix (each item is then the object's
 * `Key`, `Size`, `Etag`, `LastModified`, `StorageClass`).
 *
 * Reading from S3 is a Distributed Map feature (`ItemReader`): a `FanOutFanIn` with an item source
 * runs in `FanOutMode.DISTRIBUTED`. The state machine role may read exactly the named key (or list
 * exactly the named prefix), plus `kms:Decrypt` when the bucket has a customer-managed key.
 */
export class FanOutItemSource {
  /**
   * Items from a JSON file holding an array.
   * @param bucket the bucket
   * @param key the object key, or a JSONPath (`JsonPath.stringAt('$.key')`) read from the state input
   */
  public static s3Json(bucket: s3.IBucket, key: string): FanOutItemSource {
    return new FanOutItemSource(SourceKind.JSON, bucket, key);
  }

  /**
   * Items from a JSON Lines file (one JSON value per line).
   * @param bucket the bucket
   * @param key the object key, or a JSONPath read from the state input
   */
  public static s3JsonLines(bucket: s3.IBucket, key: string): FanOutItemSource {
    return new FanOutItemSource(SourceKind.JSONL, bucket, key);
  }

  /**
   * Items from a CSV file: one item per row, an object keyed by the column headers.
   * @param bucket the bucket
   * @param key the object key, or a JSONPath read from the state input
   * @param headers the column names, when the file has no header row (default: the first row holds them)
   */
  public static s3Csv(bucket: s3.IBucket, key: string, headers?: string[]): FanOutItemSource {
    return new FanOutItemSource(SourceKind.CSV, bucket, key, headers);
  }

  /**
   * One item per object under a prefix (the objects are listed, not read: the worker receives the
   * object's metadata and reads it itself).
   * @param bucket the bucket
   * @param prefix the key prefix, or a JSONPath read from the state input (default: the whole bucket)
   */
  public static s3Objects(bucket: s3.IBucket, prefix?: string): FanOutItemSource {
    return new FanOutItemSource(SourceKind.OBJECTS, bucket, prefix);
  }

  /** The bucket read. */
  public readonly bucket: s3.IBucket;
  /** The object key (files) or key prefix (objects); undefined for a whole-bucket listing. */
  public readonly keyOrPrefix?: string;
  /** A short description of the source, for annotations and errors. */
  public readonly description: string;

  private readonly kind: SourceKind;
  private readonly headers?: string[];

  private constructor(kind: SourceKind, bucket: s3.IBucket, keyOrPrefix?: string, headers?: string[]) {
    this.kind = kind;
    this.bucket = bucket;
    this.keyOrPrefix = keyOrPrefix;
    this.headers = headers;
    const where = keyOrPrefix === undefined ? 'the whole bucket' : (sfn.JsonPath.isEncodedJsonPath(keyOrPrefix) ? 'a key from the state input' : `'${keyOrPrefix}'`);
    this.description = kind === SourceKind.OBJECTS ? `the objects under ${where} in S3` : `the ${kind} file ${where} in S3`;
  }

  /** Whether the source names a file (JSON, JSON Lines, CSV) rather than a prefix. */
  private get isFile(): boolean {
    return this.kind !== SourceKind.OBJECTS;
  }

  /**
   * Problems with the source, as messages naming the fix (empty when valid).
   * @internal
   */
  public _validate(): string[] {
    const problems: string[] = [];
    if (this.isFile && (this.keyOrPrefix === undefined || this.keyOrPrefix.trim() === '')) {
      problems.push(`itemSource: the ${this.kind} key is empty. Name the object key, or a JSONPath such as JsonPath.stringAt('$.key').`);
    }
    if (this.headers !== undefined && this.headers.length === 0) {
      problems.push('itemSource: the CSV headers list is empty. List the column names, or omit headers to read them from the first row.');
    }
    return problems;
  }

  /**
   * The `ItemReader` of the Distributed Map, with least-privilege IAM statements.
   * @internal
   */
  public _reader(): sfn.IItemReader {
    let inner: sfn.IItemReader;
    switch (this.kind) {
      case SourceKind.JSON:
        inner = new sfn.S3JsonItemReader({ bucket: this.bucket, key: this.keyOrPrefix! });
        break;
      case SourceKind.JSONL:
        inner = new sfn.S3JsonLItemReader({ bucket: this.bucket, key: this.keyOrPrefix! });
        break;
      case SourceKind.CSV:
        inner = new sfn.S3CsvItemReader({
          bucket: this.bucket,
          key: this.keyOrPrefix!,
          csvHeaders: this.headers ? sfn.CsvHeaders.use(this.headers) : sfn.CsvHeaders.useFirstRow(),
        });
        break;
      default:
        inner = new sfn.S3ObjectsItemReader({ bucket: this.bucket, prefix: this.keyOrPrefix });
    }
    return new LeastPrivilegeItemReader(inner, this.statements());
  }

  /** What the state machine role needs to read the source. */
  private statements(): iam.PolicyStatement[] {
    const dynamic = this.keyOrPrefix !== undefined && sfn.JsonPath.isEncodedJsonPath(this.keyOrPrefix);
    const statements: iam.PolicyStatement[] = [];
    if (this.isFile) {
      statements.push(new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [this.bucket.arnForObjects(dynamic ? '*' : this.keyOrPrefix!)],
      }));
    } else {
      statements.push(new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        conditions: this.keyOrPrefix === undefined || dynamic ? undefined : { StringLike: { 's3:prefix': `${this.keyOrPrefix}*` } },
      }));
    }
    if (this.bucket.encryptionKey) {
      statements.push(new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [this.bucket.encryptionKey.keyArn] }));
    }
    return statements;
  }
}

/**
 * An aws-cdk-lib item reader whose rendering is kept and whose IAM statements are replaced by
 * least-privilege ones (aws-cdk-lib grants `s3:GetObject` on every object of the bucket and no KMS).
 */
class LeastPrivilegeItemReader implements sfn.IItemReader {
  public readonly bucket: s3.IBucket;
  public readonly bucketNamePath?: string;
  public readonly resource: string;
  public readonly maxItems?: number;

  public constructor(private readonly inner: sfn.IItemReader, private readonly statements: iam.PolicyStatement[]) {
    this.bucket = inner.bucket;
    this.bucketNamePath = inner.bucketNamePath;
    this.resource = inner.resource;
    this.maxItems = inner.maxItems;
  }

  public render(queryLanguage?: sfn.QueryLanguage): any {
    return this.inner.render(queryLanguage);
  }

  public providePolicyStatements(): iam.PolicyStatement[] {
    return this.statements;
  }

  public validateItemReader(): string[] {
    return this.inner.validateItemReader();
  }
}
