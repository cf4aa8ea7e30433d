/** A partner whose catalogue the nightly job synchronises. */
export interface PartnerRecord {
  readonly partnerId: string;
  readonly feedUrl: string;
}

/** What the worker receives for each record: its position in the list and the record. */
export interface SyncEvent {
  readonly index: number;
  readonly item: PartnerRecord;
}

/** The worker's result for one record. */
export interface SyncResult {
  readonly partnerId: string;
  readonly products: number;
  readonly syncedAt: string;
}

/** One result of the fan-out: a success envelope, or a failed record with its error. */
export type FanOutEntry =
  | { readonly failed: false; readonly output: SyncResult }
  | { readonly failed: true; readonly index: number; readonly item: PartnerRecord; readonly error: { readonly Error: string; readonly Cause?: string } };

/** What the summary step receives: the workflow state with the fan-out results. */
export interface SummaryEvent {
  readonly runDate: string;
  readonly fanOut: {
    readonly results: FanOutEntry[];
    readonly total: number;
    readonly failedCount: number;
    readonly tolerance?: { readonly summary: string };
  };
}

/** A product of the weekly full catalogue resync. */
export interface ProductRecord {
  readonly sku: string;
}

/** What the resync worker receives for each product (in its own child execution). */
export interface ProductEvent {
  readonly index: number;
  readonly item: ProductRecord;
}

/** The resync worker's result for one product. */
export interface ProductResult {
  readonly sku: string;
  readonly syncedAt: string;
}

/** `manifest.json` written by the Distributed Map's ResultWriter. */
export interface ResultManifest {
  readonly DestinationBucket: string;
  readonly MapRunArn: string;
  readonly ResultFiles: Record<'SUCCEEDED' | 'FAILED' | 'PENDING', Array<{ readonly Key: string; readonly Size: number }>>;
}

/** What the resync report receives: the state with where the results were written. */
export interface ResyncReportEvent {
  readonly runDate: string;
  readonly fanOut: {
    readonly mapRunArn: string;
    readonly resultWriterDetails: { readonly Bucket: string; readonly Key: string };
  };
}
