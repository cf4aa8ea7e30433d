/**
 * The kind of Step Functions state machine a workflow generates.
 */
export enum WorkflowType {
  /**
   * Standard: exactly-once, up to one year, full execution history, billed per state transition.
   */
  STANDARD = 'STANDARD',
  /**
   * Express: at-least-once, at most five minutes, no execution history (logs only),
   * billed per request and duration.
   */
  EXPRESS = 'EXPRESS',
}
