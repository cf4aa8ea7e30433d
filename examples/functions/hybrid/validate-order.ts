// Validates an order: every line item needs a SKU and a positive quantity. Pure, so idempotent.
interface Order { orderId?: string; items?: Array<{ sku?: string; quantity?: number }> }

export const handler = async (order: Order) => {
  const problems: string[] = [];
  if (!order.orderId) problems.push('orderId is missing');
  if (!Array.isArray(order.items) || order.items.length === 0) problems.push('the order has no items');
  for (const [i, item] of (order.items ?? []).entries()) {
    if (!item.sku) problems.push(`item ${i} has no sku`);
    if (!(typeof item.quantity === 'number' && item.quantity > 0)) problems.push(`item ${i} has no positive quantity`);
  }
  if (problems.length > 0) {
    const error = new Error(problems.join('; '));
    error.name = 'InvalidOrder';
    throw error;
  }
  return { valid: true, itemCount: order.items!.length };
};
