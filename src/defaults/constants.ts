import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';

/**
 * The defaults this library wires in, in one place. Every one is overridable through props.
 */
export const DEFAULTS = {
  /** Standard workflow timeout. */
  standardTimeout: Duration.hours(1),
  /** Express workflow timeout (also the Express maximum). */
  expressTimeout: Duration.minutes(5),
  /** Longest Express execution AWS allows. */
  expressMaxTimeout: Duration.minutes(5),
  /** Retention of workflow log groups. */
  logRetention: logs.RetentionDays.ONE_MONTH,
  /**
   * Retention of the log group shared by a stack's WorkflowFunctions: 90 days, as long as Step
   * Functions keeps a closed Standard execution's history (docs/defaults.md says why).
   */
  functionLogRetention: logs.RetentionDays.THREE_MONTHS,
  /** Lambda memory (MB). */
  functionMemorySize: 512,
  /** Lambda timeout. */
  functionTimeout: Duration.seconds(30),
  /** Longest Lambda timeout AWS allows. */
  functionMaxTimeout: Duration.minutes(15),
  /** Lambda architecture. */
  functionArchitecture: lambda.Architecture.ARM_64,
  /** Name of the alias tasks invoke. */
  aliasName: 'live',
  /** Provisioned concurrency on the alias. */
  provisionedConcurrency: 1,
  /** Target utilization for provisioned concurrency auto scaling. */
  provisionedConcurrencyUtilization: 0.7,
  /** Checkpoint TTL. */
  checkpointTtl: Duration.days(30),
  /** Alarm evaluation period. */
  alarmPeriod: Duration.minutes(5),
  /** Step Functions KMS data key reuse period bounds. */
  kmsReuseMin: Duration.seconds(60),
  kmsReuseMax: Duration.seconds(900),
};

/**
 * The newest Node.js Lambda runtime the installed aws-cdk-lib knows.
 */
export function newestNodeRuntime(): lambda.Runtime {
  let best: lambda.Runtime | undefined;
  let bestVersion = -1;
  for (const [key, value] of Object.entries(lambda.Runtime)) {
    const match = /^NODEJS_(\d+)_X$/.exec(key);
    if (match && value instanceof lambda.Runtime && !value.isVariable && Number(match[1]) > bestVersion) {
      best = value;
      bestVersion = Number(match[1]);
    }
  }
  return best ?? lambda.Runtime.NODEJS_LATEST;
}
