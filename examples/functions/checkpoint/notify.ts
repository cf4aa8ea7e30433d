// Sends a notification that text was found in an image (simulated).
interface Event {
  imageKey: string;
  results: { Generate_thumbnail: { thumbnailKey: string }; Run_OCR: { text: string } };
}

export const handler = async (event: Event) => ({
  sent: true,
  message: `Text found in ${event.imageKey} (thumbnail ${event.results.Generate_thumbnail.thumbnailKey}): ${event.results.Run_OCR.text}`,
});
