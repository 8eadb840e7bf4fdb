import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { App, Validations } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { ConfigurationError, configFromContext, SANDBOX_CONFIG } from '../../lib/config.js';
import { ConveyorStack } from '../../lib/conveyor-stack.js';
import { synthesizedStack } from './stack-template.js';

const root = path.resolve(import.meta.dirname, '../..');
const contextOf = (values: Record<string, string>) => (key: string) => values[key];
const FLAGS = /-c paymentGateway=sandbox\|stripe -c carrier=sandbox\|easypost -c senderEmail=/;

describe('configuration from CDK context', () => {
  it('refuses an empty context with a sentence naming every flag to pass', () => {
    // Arrange / act
    const configure = () => configFromContext(contextOf({}));

    // Assert
    expect(configure).toThrow(ConfigurationError);
    expect(configure).toThrow(/paymentGateway is missing; carrier is missing; senderEmail is missing/);
    expect(configure).toThrow(FLAGS);
  });

  it('names a value that is not one of the choices', () => {
    const configure = () =>
      configFromContext(contextOf({ paymentGateway: 'paypal', carrier: 'sandbox', senderEmail: 'orders@shop.example' }));

    expect(configure).toThrow(/paymentGateway "paypal" is not valid/);
  });

  it('reads every choice, alarmEmail optional', () => {
    const context = {
      paymentGateway: 'stripe',
      carrier: 'easypost',
      senderEmail: 'orders@shop.example',
      alarmEmail: 'ops@shop.example',
      carrierFromAddressId: 'adr_shop1',
    };

    expect(configFromContext(contextOf(context))).toEqual(context);
    expect(configFromContext(contextOf({ ...context, alarmEmail: '' })).alarmEmail).toBeUndefined();
  });

  it('needs the address labels ship from when the carrier is EasyPost', () => {
    const context = { paymentGateway: 'stripe', carrier: 'easypost', senderEmail: 'orders@shop.example' };

    expect(() => configFromContext(contextOf(context))).toThrow(/carrierFromAddressId is missing/);
    expect(() => configFromContext(contextOf({ ...context, carrierFromAddressId: 'Main St 1' }))).toThrow(/adr_/);
  });

  it('fails a bare `cdk synth` naming the flags, before anything is built', async () => {
    const cli = path.join(root, 'node_modules', 'aws-cdk', 'bin', 'cdk');

    const synth = promisify(execFile)(
      process.execPath,
      [cli, 'synth', '--quiet', '--output', mkdtempSync(path.join(tmpdir(), 'conveyor-bare-'))],
      { cwd: root },
    );

    await expect(synth).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(FLAGS) });
  });
});

describe('the stack on the sandbox gateway', () => {
  const { template, functionOf } = synthesizedStack(SANDBOX_CONFIG);
  const environmentOf = (handler: string) =>
    (template.toJSON().Resources[functionOf(handler)].Properties.Environment.Variables ?? {}) as Record<string, unknown>;

  it('says NOT FOR REAL ORDERS in an output and a tag on its resources', () => {
    template.hasOutput('PaymentGateway', { Value: Match.stringLikeRegexp('^sandbox: NOT FOR REAL ORDERS') });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      Tags: Match.arrayWith([{ Key: 'conveyor:payment-gateway', Value: 'sandbox - NOT FOR REAL ORDERS' }]),
    });
  });

  it('tells the payment functions and /health the gateway, and buy-label and the carrier webhook the carrier', () => {
    for (const handler of ['authorize-payment', 'capture-payment', 'void-payment', 'refund-payment', 'process-return', 'health'])
      expect(environmentOf(handler).PAYMENT_GATEWAY, handler).toBe('sandbox');
    for (const handler of ['buy-label', 'carrier-webhook']) expect(environmentOf(handler).CARRIER, handler).toBe('sandbox');
    expect(environmentOf('get-order')).not.toHaveProperty('PAYMENT_GATEWAY');
    expect(environmentOf('get-order')).not.toHaveProperty('CARRIER');
  });

  it('subscribes no one to the alarm topic unless alarmEmail is given', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 0);
  });
});

describe('the stack on Stripe and EasyPost, with alarm email', () => {
  const config = {
    paymentGateway: 'stripe',
    carrier: 'easypost',
    carrierFromAddressId: 'adr_shop1',
    senderEmail: 'orders@shop.example',
    alarmEmail: 'ops@shop.example',
  } as const;
  const { template, functionOf } = synthesizedStack(config);

  it('runs the chosen gateway and carrier, with no sandbox warning', () => {
    const variables = (handler: string) => template.toJSON().Resources[functionOf(handler)].Properties.Environment.Variables;
    expect(variables('authorize-payment').PAYMENT_GATEWAY).toBe('stripe');
    expect(variables('health').PAYMENT_GATEWAY).toBe('stripe');
    expect(variables('buy-label').CARRIER).toBe('easypost');
    expect(variables('buy-label').CARRIER_FROM_ADDRESS_ID).toBe('adr_shop1');
    template.hasOutput('PaymentGateway', { Value: 'stripe' });
    expect(JSON.stringify(template.toJSON())).not.toContain('NOT FOR REAL ORDERS');
    template.hasResourceProperties('AWS::SES::EmailIdentity', { EmailIdentity: 'orders@shop.example' });
  });

  it('emails every alarm to alarmEmail through an encrypted topic', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@shop.example' });
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.length).toBeGreaterThan(0);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toHaveLength(1);
  });

  it('passes cdk-nag AwsSolutions with the alarm topic', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    new ConveyorStack(app, 'Conveyor', { config });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    expect(() => app.synth()).not.toThrow();
  });
});
