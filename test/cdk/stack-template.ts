import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { type ConveyorConfig, SANDBOX_CONFIG } from '../../lib/config.js';
import { ConveyorStack } from '../../lib/conveyor-stack.js';

const root = path.resolve(import.meta.dirname, '../..');

/**
 * CDK's own handler for the console's BucketDeployment (lib/console.ts): a deploy-time custom resource CDK writes
 * (Python, CDK's managed logging policy, CloudFront invalidation on `*`), not a Conveyor function. A failure fails
 * the deployment itself, so it has no alarms either. The rules Conveyor's functions keep do not apply to it.
 */
export const isCdkBucketDeployment = (logicalId: string) => logicalId.startsWith('CustomCDKBucketDeployment');

/** The template's resources of a type, without CDK's BucketDeployment handler and its role. */
export function conveyorResources(template: Template, type: string) {
  return Object.fromEntries(Object.entries(template.findResources(type)).filter(([id]) => !isCdkBucketDeployment(id)));
}

export type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };

/** The stack with cdk.json's feature flags and the given configuration (sandbox unless told), without bundling, and ways to find its parts in the template. */
export function synthesizedStack(config: ConveyorConfig = SANDBOX_CONFIG) {
  const { context } = JSON.parse(readFileSync(path.join(root, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  const stack = new ConveyorStack(new App({ context: { ...context, 'aws:cdk:bundling-stacks': [] } }), 'Conveyor', { config });
  const template = Template.fromStack(stack);

  const logicalId = (construct: { node: { defaultChild?: unknown } }) =>
    Stack.of(stack).getLogicalId(construct.node.defaultChild as Parameters<Stack['getLogicalId']>[0]);

  /** The logical id of the function built for a handler folder. */
  const functionOf = (handler: string) => {
    const [id] = Object.keys(
      template.findResources('AWS::Lambda::Function', {
        Properties: { Environment: { Variables: Match.objectLike({ CONVEYOR_FUNCTION: handler }) } },
      }),
    );
    if (!id) throw new Error(`no ${handler} function`);
    return id;
  };

  /** Every statement of the policies attached to a function's role. */
  const statementsOf = (functionId: string): Statement[] => {
    const fn = template.toJSON().Resources[functionId] as { Properties: { Role: { 'Fn::GetAtt': [string, string] } } };
    const role = fn.Properties.Role['Fn::GetAtt'][0];
    return Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: Match.arrayWith([{ Ref: role }]) } })).flatMap(
      (policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement,
    );
  };

  return { stack, template, logicalId, functionOf, statementsOf };
}

export const actions = (statements: Statement[]) => statements.flatMap((statement) => [statement.Action].flat());
