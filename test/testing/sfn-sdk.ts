/** The real @aws-sdk/client-sfn pointed at runner.serve(), shared by the server tests. */
import { DescribeExecutionCommand, DescribeExecutionCommandOutput, SFNClient } from '@aws-sdk/client-sfn';

/** An SFN client for a local endpoint: fake credentials, no retries. */
export function localSfnClient(endpoint: string): SFNClient {
  return new SFNClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    // StartSyncExecution has the host prefix `sync-`, which a 127.0.0.1 endpoint cannot take.
    disableHostPrefix: true,
    maxAttempts: 1,
  });
}

/** Polls DescribeExecution every 10 ms until the execution is no longer RUNNING (at most `attempts` times). */
export async function waitForEnd(client: SFNClient, executionArn: string, attempts = 300): Promise<DescribeExecutionCommandOutput> {
  for (let i = 0; i < attempts; i++) {
    const d = await client.send(new DescribeExecutionCommand({ executionArn }));
    if (d.status !== 'RUNNING') return d;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${executionArn} still running`);
}
