import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { StateMachine } from 'aws-local-stepfunctions';
import { describe, expect, it } from 'vitest';

type State = {
  Type: string;
  Resource?: string;
  Parameters?: Record<string, unknown> & { Payload?: Record<string, unknown> };
  Catch?: { ErrorEquals: string[]; ResultPath?: string | null; Next: string }[];
  ResultPath?: string | null;
  Next?: string;
  End?: boolean;
};
const definition = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../statemachines/order-workflow.asl.json'), 'utf8')) as {
  States: Record<string, State>;
};
const states = Object.entries(definition.States);
/** A CDK DefinitionSubstitution placeholder, as the ASL file spells it. */
const substitution = (name: string) => `\${${name}}`;
const emailStates = states.filter(([, state]) => state.Resource === 'arn:aws:states:::aws-sdk:sesv2:sendEmail');

describe('The workflow counts every email SES refuses, and goes on', () => {
  it('sends every email through the configuration set', () => {
    expect(emailStates.length).toBeGreaterThanOrEqual(5);
    for (const [name, state] of emailStates)
      expect(state.Parameters?.ConfigurationSetName, name).toBe(substitution('ConfigurationSetName'));
  });

  it.each(emailStates.map(([name]) => name))('%s: its catch counts the failure, then goes where the email would have gone', (name) => {
    const state = definition.States[name] as State;
    const caught = state.Catch?.find((c) => c.ErrorEquals.includes('States.ALL'));
    expect(caught?.ResultPath).toBe('$.emailError');
    const counter = definition.States[caught?.Next as string] as State;
    expect(counter.Parameters).toMatchObject({
      FunctionName: substitution('CountWorkflowEventFunctionArn'),
      Payload: { 'orderId.$': '$.orderId', event: 'EmailFailed', state: name },
    });
    // The counter passes its input on untouched and never stops the order, even when counting fails.
    expect(counter.ResultPath).toBeNull();
    const onward = state.Next ?? (state.End ? undefined : caught?.Next);
    expect(counter.Next).toBe(onward);
    expect(counter.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: null, Next: onward }]);
  });

  it('runs it: SendConfirmation refused → counted → CreatePickTask with the same input and the error kept', async () => {
    // Arrange: the workflow from SendConfirmation on, SES failing and the pick task the end
    const partial = {
      StartAt: 'SendConfirmation',
      States: {
        SendConfirmation: definition.States.SendConfirmation,
        CountSendConfirmationFailure: definition.States.CountSendConfirmationFailure,
        CreatePickTask: { Type: 'Succeed' },
      },
    };
    const text = JSON.stringify(partial).replace(/\$\{(\w+)\}/g, 'arn:aws:lambda:us-east-1:000000000000:function:$1');
    const machine = new StateMachine(JSON.parse(text), { validationOptions: { checkArn: false, checkPaths: false } });
    const counted: unknown[] = [];

    // Act
    const execution = machine.run(
      { orderId: 'ord_1', customer: { email: 'a@example.com' }, emails: { confirmed: { subject: 's', html: 'h', text: 't' } } },
      {
        overrides: {
          taskResourceLocalHandlers: {
            SendConfirmation: () => {
              throw Object.assign(new Error('Email address is not verified.'), { name: 'SesV2.MessageRejectedException' });
            },
            CountSendConfirmationFailure: (input) => {
              counted.push(input);
              return { counted: 'EmailsFailed' };
            },
          },
          retryIntervalOverrides: { SendConfirmation: 0, CountSendConfirmationFailure: 0 },
        },
      },
    );
    const output = (await execution.result) as Record<string, unknown>;

    // Assert
    expect(counted).toEqual([
      { FunctionName: expect.any(String), Payload: { orderId: 'ord_1', event: 'EmailFailed', state: 'SendConfirmation' } },
    ]);
    expect(output).toMatchObject({ orderId: 'ord_1', emailError: { Error: 'SesV2.MessageRejectedException' } });
  });
});
