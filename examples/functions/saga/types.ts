/** The event a saga action receives (see docs/saga.md). */
export interface SagaActionEvent<I = Record<string, unknown>> {
  /** The saga state: the execution input plus `results` of the steps that completed. */
  readonly input: I & { readonly results?: Record<string, unknown> };
  /** `<execution name>:<step name>`: pass it to the downstream API as its idempotency key. */
  readonly idempotencyKey: string;
}

/** The event a saga compensation receives. */
export interface SagaCompensationEvent<R = unknown, I = Record<string, unknown>> {
  /** The saga state (execution input, `results`, and `saga.error`). */
  readonly input: I;
  /** The result of the action being undone (absent when `stepFailed`). */
  readonly result?: R;
  /** The error that started the rollback. */
  readonly error: { readonly Error: string; readonly Cause?: string };
  /** The name of the action being undone. */
  readonly step: string;
  /** True when the action itself failed (compensateOnFailure): it may have partially applied. */
  readonly stepFailed: boolean;
  /** `<execution name>:<compensation name>`. */
  readonly idempotencyKey: string;
}

/** The order every step of the example works on. */
export interface Order {
  readonly orderId: string;
  readonly customerId: string;
  readonly sku: string;
  readonly quantity: number;
  readonly amount: number;
}

/** A business error: its name becomes the Step Functions error name. */
export class OrderError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}
