import { App, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { SANDBOX_CONFIG } from '../../lib/config.js';
import { ConveyorStack } from '../../lib/conveyor-stack.js';

function appWithNag(): { app: App; stack: ConveyorStack } {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new ConveyorStack(app, 'Conveyor', { config: SANDBOX_CONFIG });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}

describe('cdk-nag AwsSolutions', () => {
  it('passes on the stack, every finding acknowledged with a reason', () => {
    const { app } = appWithNag();
    expect(() => app.synth()).not.toThrow();
  });

  it('is really checking: an unacknowledged violation fails the synth', () => {
    const { app, stack } = appWithNag();
    new sqs.Queue(stack, 'QueueWithoutDlq'); // AwsSolutions-SQS3 and -SQS4

    expect(() => app.synth()).toThrow(/AwsSolutions-SQS3/);
  });
});
