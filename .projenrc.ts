import { awscdk, javascript } from 'projen';

const project = new awscdk.AwsCdkConstructLibrary({
  author: 'cdk-stateful-workflows developers',
  authorAddress: 'maintainers@cdk-stateful-workflows.dev',
  cdkVersion: '2.276.0',
  constructsVersion: '10.5.1',
  defaultReleaseBranch: 'main',
  jsiiVersion: '~6.0.0',
  typescriptVersion: '~6.0.3',
  name: 'cdk-stateful-workflows',
  description:
    'AWS CDK constructs that generate Step Functions Standard and Express workflows (checkpointing, fan-out/fan-in, sagas, Standard/Express split) with provisioned-concurrency Lambdas, DynamoDB checkpoints, X-Ray, alarms, and a local jest runner.',
  keywords: ['cdk', 'awscdk', 'stepfunctions', 'saga', 'workflow', 'checkpoint', 'dynamodb', 'lambda'],
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  repositoryUrl: 'https://github.com/cdk-stateful-workflows/cdk-stateful-workflows.git',
  minNodeVersion: '20.0.0',

  // Runtime client (CheckpointClient) talks to DynamoDB; jsii requires non-jsii deps to be bundled.
  // Runtime clients (CheckpointClient, WorkflowClient) and the CLI; jsii requires non-jsii deps to be bundled.
  bundledDeps: ['@aws-sdk/client-dynamodb@^3.1162.0', '@aws-sdk/client-sfn@^3.1162.0', 'commander@^14.0.3'],
  devDeps: [
    // local proof (the `testing` entry point): optional for users, required for our tests
    'aws-local-stepfunctions@3.0.0', // exactly: the runner's corrections are verified against this version
    'dynalite@^4.0.0',
    's3rver@^3.7.1',
    '@aws-sdk/client-s3@^3.1162.0',
    // policy checks
    'cdk-nag@^3.0.2',
    '@cdklabs/cdk-validator-cfnguard@^0.0.62',
    // examples app
    'aws-cdk@^2.1148.1', // the 3.0.0 on the registry is an old placeholder that cannot read current cloud assemblies
    'tsx@^4.23.0',
    'esbuild@^0.28.0',
  ],

  // The release/upgrade GitHub workflows are not used here: CI is `.ci/run`.
  github: false,
  release: false,
  depsUpgrade: false,
  buildWorkflow: false,
  pullRequestTemplate: false,
  docgen: true,
  eslint: true,

  gitignore: ['/cdk.out/', '/bench/results/', '/.tmp/'],
  npmIgnoreOptions: { ignorePatterns: ['/examples/', '/bench/', '/cdk.json', '/.ci/', '/docs/', '/scripts/'] },

  jestOptions: {
    // jest 30 and eslint-import-resolver-typescript 4 depend on unrs-resolver, whose platform
    // packages this registry does not all serve, so `npm ci` rejects the lock file. Stay on jest 29.
    jestVersion: '^29',
    // Snapshots are updated on purpose (`npx projen test:update`), never by the build: CI runs jest --ci.
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      // Coverage is not a gate here and more than doubles the suite's time on 2 cores (issue 12: suite <= 90 s).
      collectCoverage: false,
      testTimeout: 60_000,
      // The local runner spins up dynalite per suite; keep workers bounded on 2-core machines.
      maxWorkers: 2,
      // CDK_VALIDATION=false for every file but test/cfn-validation.test.ts (see test/setup-env.ts).
      setupFiles: ['<rootDir>/test/setup-env.ts'],
    },
  },
});

// eslint-import-resolver-typescript 4 pulls in unrs-resolver (see jestVersion above): pin 3.6.
project.deps.removeDependency('eslint-import-resolver-typescript');
project.addDevDeps('eslint-import-resolver-typescript@~3.6.3');
// ts-jest needs jest-util at the top level (a peer dependency that jest 29 does not hoist).
project.addDevDeps('jest-util@^29');

// `cdk-stateful-workflows/testing` is a TypeScript-only entry point (not part of the jsii API).
project.package.addField('exports', {
  '.': { types: './lib/index.d.ts', default: './lib/index.js' },
  './testing': { types: './lib/testing/index.d.ts', default: './lib/testing/index.js' },
  // handler-side helpers (payload references in S3, handler event types): used inside Lambda functions
  './runtime': { types: './lib/runtime/index.d.ts', default: './lib/runtime/index.js' },
  // application-side client (start by business key, status, result, stop, redrive, listStuck)
  './client': { types: './lib/client/index.d.ts', default: './lib/client/index.js' },
  './.jsii': './.jsii',
  './package.json': './package.json',
});
// The command line: summary, diagram and run over a cdk.out.
project.addBins({ 'cdk-stateful-workflows': 'lib/cli/main.js' });
// The testing entry point needs these at test time only; users who never import it need neither.
project.package.addField('peerDependenciesMeta', {
  'aws-local-stepfunctions': { optional: true },
  'dynalite': { optional: true },
  's3rver': { optional: true },
  '@aws-sdk/client-s3': { optional: true },
  'esbuild': { optional: true },
});

project.addTask('synth:examples', {
  description: 'Synthesize the examples app with the cdk CLI and print what it generated',
  exec: 'cdk synth --quiet --no-notices && tsx examples/summary.ts && tsx examples/cost-report.ts',
  env: { CDK_DISABLE_CLI_TELEMETRY: 'true' },
});
project.addTask('bench', {
  description: 'Run the benchmarks in bench/ (prints figures, writes bench/results/*.json); `npx projen bench saga` runs the matching ones',
  exec: 'tsx bench/run-all.ts',
  receiveArgs: true,
});

project.synth();
