// Runs OCR through a paid third-party API (simulated). The checkpointed workflow guarantees the call
// is made at most once per image across reruns and concurrent executions; the idempotency key sent
// to the provider (image key + step) also covers the one remaining window: a crash between the
// provider's answer and the checkpoint write.
interface Event { imageKey: string; checkpoint: { key: string } }

export const handler = async (event: Event) => {
  const idempotencyKey = `${event.checkpoint.key}#ocr`;
  // A real implementation calls the provider here, sending idempotencyKey; a 429 answer should be
  // thrown as an error named 'OcrRateLimited' so that the workflow retries it.
  const text = event.imageKey.includes('receipt') ? 'TOTAL 42.00 EUR' : '';
  return { textFound: text.length > 0, text, idempotencyKey };
};
