// Applies the customer's tier discount to the priced items (pure, so idempotent).
interface Input {
  results: {
    Enrich_order: { tier: string };
    Price_line_items: Array<{ totalCents: number }>;
  };
}

export const handler = async (input: Input) => {
  const subtotalCents = input.results.Price_line_items.reduce((sum, line) => sum + line.totalCents, 0);
  const percent = input.results.Enrich_order.tier === 'gold' ? 10 : 0;
  const discountCents = Math.round((subtotalCents * percent) / 100);
  return { subtotalCents, discountPercent: percent, totalCents: subtotalCents - discountCents };
};
