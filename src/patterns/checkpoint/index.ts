// Filled in by the checkpoint pattern work.
export {};
