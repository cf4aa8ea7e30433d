/**
 * Template metadata the constructs write for tools (the local runner) to read. Module-private:
 * not part of the jsii API.
 */

/**
 * On a state machine: the states rendered under another name than their step's,
 * `{ "<state name>": "<step name>" }` (e.g. a checkpoint resume copy).
 */
export const STEP_NAMES_METADATA = 'cdk-stateful-workflows:stepNames';

/** On a Lambda function the library deploys itself: its role (e.g. `checkpoint-coordinator`). */
export const LIBRARY_FUNCTION_ROLE_METADATA = 'cdk-stateful-workflows:role';

/** The role of the checkpoint coordinator function. */
export const CHECKPOINT_COORDINATOR_ROLE = 'checkpoint-coordinator';
