// Core: the step model and the Workflow base every pattern shares.
export * from './core/types';
export * from './core/step';
export * from './core/workflow';

// Steps
export * from './steps/step';

// Defaults as constructs
export * from './defaults/workflow-function';
export { Placement } from './defaults/function-placement';
export * from './defaults/checkpoint-table';
export * from './defaults/workflow-alarms';
export * from './defaults/payload-store';

// Patterns
export * from './patterns/sequence/sequential-workflow';
export * from './patterns/saga';
export * from './patterns/checkpoint';
export * from './patterns/fan-out';
export * from './patterns/hybrid';
