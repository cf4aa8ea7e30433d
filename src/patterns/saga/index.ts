// Filled in by the saga pattern work.
export {};
