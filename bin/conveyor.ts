#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConveyorStack } from '../lib/conveyor-stack.js';

const app = new App();
new ConveyorStack(app, 'Conveyor', {
  description: 'Conveyor: order processing for e-commerce (API, workflow, messaging, email, finance)',
});
// cdk-nag runs as a policy validation plugin; set CDK_VALIDATION=false only in fast unit tests.
if (process.env.CDK_VALIDATION !== 'false') {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}
app.synth();
