// Fan-out / fan-in: inline or Distributed Map with concurrency cap, batching, tolerated failures and an aggregate step.
export * from './fan-out-fan-in';
export { FanOutItemSource } from './item-source';
