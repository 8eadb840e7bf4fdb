#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigurationError, configFromContext } from '../lib/config.js';
import { ConveyorStack } from '../lib/conveyor-stack.js';

const app = new App();
let config: ReturnType<typeof configFromContext>;
try {
  config = configFromContext((key) => app.node.tryGetContext(key));
} catch (error) {
  // One sentence naming the flags, not a stack trace: this is the first thing a deployer sees.
  if (!(error instanceof ConfigurationError)) throw error;
  console.error(error.message);
  process.exit(1);
}
new ConveyorStack(app, 'Conveyor', {
  description: 'Conveyor: order processing for e-commerce (API, workflow, messaging, email, finance)',
  config,
});
// cdk-nag runs as a policy validation plugin; set CDK_VALIDATION=false only in fast unit tests.
if (process.env.CDK_VALIDATION !== 'false') {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}
app.synth();
