// Filled in by the hybrid pattern work.
export {};
