// Books the shipment (a side effect: runs once, in the Standard parent).
interface Input { orderId: string; results: { Enrich_order: { region: string } } }

export const handler = async (input: Input) => ({
  trackingId: `trk-${input.orderId}`,
  region: input.results.Enrich_order.region,
});
