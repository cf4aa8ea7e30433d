// A tiny handler shared by the examples: returns what it was given, tagged with the step.
export const handler = async (event: Record<string, unknown>) => ({
  ok: true,
  step: process.env.STEP_NAME ?? 'unknown',
  receivedKeys: Object.keys(event ?? {}),
});
