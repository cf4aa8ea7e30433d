// Filled in by the fan-out pattern work.
export {};
