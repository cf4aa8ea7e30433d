/**
 * The aws-local-stepfunctions version the runner's rewrites and emulations were verified against
 * (test/testing/interpreter-deviations.test.ts fails when another version is installed). Pin the
 * dev dependency to exactly this version.
 */
export const VERIFIED_INTERPRETER_VERSION = '3.0.0';
