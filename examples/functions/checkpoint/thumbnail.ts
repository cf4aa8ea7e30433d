// Generates a thumbnail of the image (simulated): returns where the thumbnail would be stored.
interface Event { imageKey: string; checkpoint: { key: string } }

export const handler = async (event: Event) => ({
  thumbnailKey: `thumbnails/${event.imageKey.replace(/\.[^.]+$/, '')}-256.jpg`,
  width: 256,
});
