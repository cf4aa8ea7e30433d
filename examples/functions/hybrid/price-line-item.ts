// Prices one line item from a fixed catalogue (deterministic, so idempotent).
interface PriceRequest { item: { sku: string; quantity: number } }

const CATALOGUE: Record<string, number> = { 'sku-book': 1200, 'sku-pen': 150, 'sku-lamp': 4500 };

export const handler = async ({ item }: PriceRequest) => {
  const unitCents = CATALOGUE[item.sku] ?? 1000;
  return { sku: item.sku, quantity: item.quantity, unitCents, totalCents: unitCents * item.quantity };
};
