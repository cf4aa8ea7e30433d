// The Standard-parent / Express-child split, and the step that calls a workflow synchronously.
export * from './hybrid-workflow';
export * from '../../steps/child-workflow-step';
