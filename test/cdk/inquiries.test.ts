import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { INQUIRY_FIRST_RESPONSE_ALARM_HOURS } from '../../lib/api.js';
import { SANDBOX_CONFIG } from '../../lib/config.js';
import { ConveyorStack } from '../../lib/conveyor-stack.js';

const root = path.resolve(import.meta.dirname, '../..');

describe('inquiries in the stack', () => {
  let template: Template;
  beforeAll(() => {
    const { context } = JSON.parse(readFileSync(path.join(root, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
    const app = new App({ context: { ...context, 'aws:cdk:bundling-stacks': [] } });
    template = Template.fromStack(new ConveyorStack(app, 'Conveyor', { config: SANDBOX_CONFIG }));
  });

  it('alarms when the slowest first answer of an hour took longer than the threshold, and not when there were none', () => {
    const alarms = template.findResources('AWS::CloudWatch::Alarm', {
      Properties: { MetricName: 'InquiryFirstResponseSeconds' },
    });

    expect(Object.values(alarms)).toHaveLength(1);
    expect(Object.values(alarms)[0]?.Properties).toMatchObject({
      Namespace: 'Conveyor',
      Dimensions: [{ Name: 'service', Value: 'conveyor' }],
      Statistic: 'Maximum',
      Period: 3600,
      EvaluationPeriods: 1,
      Threshold: INQUIRY_FIRST_RESPONSE_ALARM_HOURS * 3600,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmDescription: expect.stringContaining('GET /ops/inquiries'),
    });
  });

  it('lets only the reply route send email, from the sender identity', () => {
    const withSender = Object.keys(
      template.findResources('AWS::Lambda::Function', {
        Properties: { Environment: { Variables: { SENDER_EMAIL: Match.anyValue() } } },
      }),
    );
    expect(withSender.filter((id) => id.includes('inquir'))).toEqual([expect.stringMatching(/^Apireplytoinquiry/)]);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyName: Match.stringLikeRegexp('^Apireplytoinquiry'),
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'ses:SendEmail', Resource: Match.anyValue() })]) },
    });
  });
});
