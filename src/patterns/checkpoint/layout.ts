/**
 * The checkpoint item layout, in ONE place: the workflow's rendered DynamoDB tasks (save,
 * release), the coordinator (whose inline code receives it as JSON, see `coordinatorInlineCode`)
 * and `CheckpointClient` all read these names. Module-private (not part of the jsii API).
 *
 * Items of one business key share the partition key `<namespace>#<key>`:
 * - the lease item, sort key `#lease`: lease (`leaseOwner`, `leaseUntil` epoch seconds,
 *   `leaseAcquiredAt`), the key's `generation`, `businessKey`, how the last run ended
 *   (`lastExecutionId`, `lastStatus`) and the TTL of the whole key;
 * - one item per step, sort key `step#<step key>`: `step`, `result` (JSON text), `executionId`,
 *   `executionStartedAt`, `generation`, the step item's lease (`leaseOwner`, `leaseExpiresAt`
 *   ISO 8601) and its TTL.
 */
export const CHECKPOINT_LAYOUT = {
  /** Separator between the namespace and the business key in the partition key. */
  separator: '#',
  /** Sort key of the per-key lease item (lease, generation, last run). */
  leaseSortKey: '#lease',
  /** Sort key prefix of the per-step checkpoint items. */
  stepSortKeyPrefix: 'step#',
  /** Attribute names. */
  attributes: {
    leaseOwner: 'leaseOwner',
    /** Lease item: end of the lease, epoch seconds (N). */
    leaseUntil: 'leaseUntil',
    leaseAcquiredAt: 'leaseAcquiredAt',
    /** Step item: end of the owning execution's lease, ISO 8601 (S). */
    leaseExpiresAt: 'leaseExpiresAt',
    generation: 'generation',
    businessKey: 'businessKey',
    lastExecutionId: 'lastExecutionId',
    lastStatus: 'lastStatus',
    step: 'step',
    result: 'result',
    executionId: 'executionId',
    executionStartedAt: 'executionStartedAt',
  },
} as const;

/** The shape of `CHECKPOINT_LAYOUT` (what the coordinator receives). */
export type CheckpointLayout = typeof CHECKPOINT_LAYOUT;

/** The partition key of `key`'s items in `namespace`. */
export function checkpointPartitionKey(namespace: string, key: string): string {
  return `${namespace}${CHECKPOINT_LAYOUT.separator}${key}`;
}

/** The sort key of the checkpoint item of the step whose result key is `stepKey`. */
export function stepSortKey(stepKey: string): string {
  return `${CHECKPOINT_LAYOUT.stepSortKeyPrefix}${stepKey}`;
}

/** The IAM `dynamodb:LeadingKeys` pattern matching every partition key of `namespace`. */
export function namespaceLeadingKeys(namespace: string): string {
  return `${namespace}${CHECKPOINT_LAYOUT.separator}*`;
}
