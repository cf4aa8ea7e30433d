// Charges the order total. NOT idempotent without the payment provider's idempotency key, which
// is why it runs in the Standard parent (exactly once).
interface Input { orderId: string; card?: string; results: { Apply_discounts: { totalCents: number } } }

export const handler = async (input: Input) => {
  if (input.card === 'declined') {
    const error = new Error(`card for order ${input.orderId} was declined`);
    error.name = 'PaymentDeclined';
    throw error;
  }
  return { chargeId: `ch-${input.orderId}`, amountCents: input.results.Apply_discounts.totalCents };
};
