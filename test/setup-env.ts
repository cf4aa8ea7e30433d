/**
 * Runs before every test file. aws-cdk-lib's built-in CloudFormation template validation starts an
 * engine that costs seconds per process; every jest file would pay it again. Template contents are
 * asserted directly by the tests, and test/cfn-validation.test.ts synthesizes every example stack
 * with that validation switched on, so nothing goes unvalidated.
 */
process.env.CDK_VALIDATION ??= 'false';
