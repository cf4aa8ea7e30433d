import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { ResyncReportEvent, ResultManifest } from './types';

/** Reads one object of the results bucket as JSON. */
async function readJson<T>(s3: S3Client, bucket: string, key: string): Promise<T> {
  const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return JSON.parse(await response.Body!.transformToString()) as T;
}

/**
 * The fan-in of the weekly resync: the Distributed Map wrote its results to S3 (a ResultWriter),
 * so this step reads the manifest Step Functions wrote, then the SUCCEEDED_n / FAILED_n files it
 * lists (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html),
 * and reports the counts and the failed products.
 */
export function makeHandler(s3: S3Client) {
  return async (event: ResyncReportEvent) => {
    const { Bucket, Key } = event.fanOut.resultWriterDetails;
    const manifest = await readJson<ResultManifest>(s3, Bucket, Key);
    let synced = 0;
    const failures: Array<{ sku: string; error: string }> = [];
    for (const file of manifest.ResultFiles.SUCCEEDED) {
      synced += (await readJson<unknown[]>(s3, manifest.DestinationBucket, file.Key)).length;
    }
    for (const file of manifest.ResultFiles.FAILED) {
      for (const execution of await readJson<Array<{ Input: string; Error?: string }>>(s3, manifest.DestinationBucket, file.Key)) {
        failures.push({ sku: (JSON.parse(execution.Input) as { item: { sku: string } }).item.sku, error: execution.Error ?? 'unknown' });
      }
    }
    const report = { runDate: event.runDate, mapRunArn: event.fanOut.mapRunArn, synced, failed: failures.length, failures };
    console.log(JSON.stringify({ message: 'weekly catalogue resync report', ...report }));
    return report;
  };
}

export const handler = makeHandler(new S3Client({}));
