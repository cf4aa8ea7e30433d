import type { ProductEvent, ProductResult } from './types';

/**
 * Re-synchronises one product of the catalogue (the weekly full resync runs this once per product,
 * each in its own Express child execution of the Distributed Map). A product whose source record
 * is invalid fails its item only: the workflow tolerates up to 1% failed products.
 */
export const handler = async (event: ProductEvent): Promise<ProductResult> => {
  const { sku } = event.item;
  if (!/^[A-Z0-9-]+$/.test(sku)) {
    throw Object.assign(new Error(`product ${sku} has an invalid SKU`), { name: 'InvalidProduct' });
  }
  return { sku, syncedAt: new Date().toISOString() };
};
