// Records why an order was rejected (invalid order or declined payment) for the customer service.
interface Input { orderId?: string; error: { Error: string; Cause?: string } }

export const handler = async (input: Input) => ({
  orderId: input.orderId ?? 'unknown',
  rejected: true,
  reason: input.error.Error,
});
