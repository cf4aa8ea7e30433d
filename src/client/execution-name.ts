/**
 * The deterministic Step Functions execution name of a business key.
 */
import { createHash } from 'crypto';

/**
 * Execution names are 1 to 80 characters and may not contain whitespace, `< > { } [ ]`, `? *`,
 * `" # % \ ^ | ~ \` $ & , ; : /` or control characters; CloudWatch metrics need ASCII names.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html#StepFunctions-StartExecution-request-name
 */
export const MAX_EXECUTION_NAME_LENGTH = 80;
/** Characters of the key kept as they are in the readable part of the name; any other becomes `_`. */
const READABLE = /[A-Za-z0-9_.-]/;
/** Hex digits of the SHA-256 of the key in the name (64 bits). */
const HASH_LENGTH = 16;
/** Length of the readable part, leaving room for `-<hash>` and `-a<attempt>` (attempt < 100000). */
const READABLE_LENGTH = MAX_EXECUTION_NAME_LENGTH - HASH_LENGTH - 1 - 7;

/** Options of {@link executionNameForKey}. */
export interface ExecutionNameOptions {
  /**
   * The attempt: 1 is the first execution of the key; `WorkflowClient.retry` starts 2, 3, ...
   * (a Standard execution name cannot be reused for 90 days, so a new attempt needs a new name).
   * Default: 1.
   */
  readonly attempt?: number;
}

/**
 * The execution name `WorkflowClient` gives the execution of a business key:
 * `<readable key>-<hash>` (attempt 1) or `<readable key>-<hash>-a<attempt>`, where
 * - `<readable key>` is the key with every character other than `A-Z a-z 0-9 _ . -` replaced by
 *   `_`, cut to 56 characters (`key` when nothing is left); it is only there for people reading
 *   the console;
 * - `<hash>` is the first 16 hex digits of the SHA-256 of the key (UTF-8), so two different keys
 *   never share a name, however long or odd they are (`order/1` and `order_1` differ).
 *
 * The result is always a valid execution name (at most 80 ASCII characters, none forbidden).
 *
 * @example executionNameForKey('order-42') // 'order-42-<16 hex digits>'
 */
export function executionNameForKey(key: string, options: ExecutionNameOptions = {}): string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new Error(`executionNameForKey: the business key must be a non-empty string; got ${JSON.stringify(key)}. Pass numbers as their decimal text.`);
  }
  const attempt = options.attempt ?? 1;
  if (!Number.isInteger(attempt) || attempt < 1 || attempt > 99_999) {
    throw new Error(`executionNameForKey: attempt must be an integer from 1 to 99999; got ${attempt}.`);
  }
  const readable = [...key].map((c) => (READABLE.test(c) ? c : '_')).join('').slice(0, READABLE_LENGTH) || 'key';
  const hash = createHash('sha256').update(key, 'utf8').digest('hex').slice(0, HASH_LENGTH);
  return attempt === 1 ? `${readable}-${hash}` : `${readable}-${hash}-a${attempt}`;
}
