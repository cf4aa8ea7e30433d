export * from './checkpointed-workflow';
export * from './checkpoint-client';
