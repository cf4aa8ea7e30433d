/**
 * Names shared by the `PayloadStore` construct (which sets them on a function) and the runtime
 * helpers (which read them). Plain constants: no AWS CDK or SDK import.
 */

/** Environment variable holding the payload store's bucket name. */
export const PAYLOAD_BUCKET_ENV = 'CDK_STATEFUL_WORKFLOWS_PAYLOAD_BUCKET';
/** Environment variable holding the key prefix the function may write under. */
export const PAYLOAD_PREFIX_ENV = 'CDK_STATEFUL_WORKFLOWS_PAYLOAD_PREFIX';
/** The field that marks a payload reference in a step result. */
export const PAYLOAD_REF_KEY = '$payloadRef';
/**
 * Default size above which `offload` writes a result to S3 (32 KiB): Step Functions fails an
 * execution whose state exceeds 256 KiB with the uncatchable `States.DataLimitExceeded`, and the
 * state carries every step's result, so one result should take a small share of it.
 */
export const DEFAULT_OFFLOAD_THRESHOLD_BYTES = 32 * 1024;
/** Default key prefix of a payload store. */
export const DEFAULT_PAYLOAD_PREFIX = 'payloads/';
