import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/** The parts of a synthesized CloudFormation template the local cloud reads. */
export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
  DependsOn?: string | string[];
}

export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown }>;
}

/** What each logical id stands for locally: its `Ref` value and its `Fn::GetAtt` attributes. */
export interface LocalResource {
  ref: string;
  attributes: Record<string, string>;
}

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '000000000000';

export function loadTemplate(cdkOut: string, stackName: string): CfnTemplate {
  return JSON.parse(readFileSync(path.join(cdkOut, `${stackName}.template.json`), 'utf8')) as CfnTemplate;
}

export function resourcesOfType(template: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

/**
 * Resolves the intrinsic functions CDK emits for environment variables and ARNs
 * (Ref, Fn::GetAtt, Fn::Join, Fn::Select, Fn::Split, Fn::Sub and the pseudo parameters)
 * against the local resources. An unresolvable reference is an error, never a silent blank.
 */
export class IntrinsicResolver {
  constructor(
    private readonly resources: ReadonlyMap<string, LocalResource>,
    private readonly stackName: string,
  ) {}

  private pseudo(name: string): string | undefined {
    const values: Record<string, string> = {
      'AWS::Region': LOCAL_REGION,
      'AWS::AccountId': LOCAL_ACCOUNT,
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': this.stackName,
      'AWS::NoValue': '',
    };
    return values[name];
  }

  private ref(name: string): string {
    const value = this.pseudo(name) ?? this.resources.get(name)?.ref;
    if (value === undefined) throw new Error(`The local cloud cannot resolve Ref ${name}`);
    return value;
  }

  private getAtt(name: string, attribute: string): string {
    const value = this.resources.get(name)?.attributes[attribute];
    if (value === undefined) throw new Error(`The local cloud cannot resolve Fn::GetAtt ${name}.${attribute}`);
    return value;
  }

  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((item) => this.resolve(item));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value);
    if (entries.length === 1) {
      const [[key, arg]] = entries;
      switch (key) {
        case 'Ref':
          return this.ref(arg as string);
        case 'Fn::GetAtt': {
          const [name, attribute] = Array.isArray(arg) ? arg : String(arg).split('.');
          return this.getAtt(name as string, attribute as string);
        }
        case 'Fn::Join': {
          const [separator, parts] = arg as [string, unknown[]];
          return (this.resolve(parts) as unknown[]).join(separator);
        }
        case 'Fn::Select': {
          const [index, list] = arg as [number, unknown];
          return (this.resolve(list) as unknown[])[Number(this.resolve(index))];
        }
        case 'Fn::Split': {
          const [separator, source] = arg as [string, unknown];
          return String(this.resolve(source)).split(separator);
        }
        case 'Fn::Sub':
          return this.sub(arg as string | [string, Record<string, unknown>]);
      }
    }
    return Object.fromEntries(entries.map(([key, item]) => [key, this.resolve(item)]));
  }

  resolveString(value: unknown): string {
    return String(this.resolve(value));
  }

  private sub(arg: string | [string, Record<string, unknown>]): string {
    const [text, variables] = typeof arg === 'string' ? [arg, {}] : arg;
    return text.replace(/\$\{([^}!][^}]*)\}/g, (_match, name: string) => {
      if (name in variables) return this.resolveString(variables[name]);
      const [resource, attribute] = name.split('.');
      return attribute ? this.getAtt(resource as string, attribute) : this.ref(name);
    });
  }
}

/** IAM roles exist locally only as names and ARNs (nothing checks permissions locally). */
export function iamRoleIdentities(template: CfnTemplate, stackName: string): Map<string, LocalResource> {
  const identities = new Map<string, LocalResource>();
  for (const [logicalId] of resourcesOfType(template, 'AWS::IAM::Role')) {
    const name = `${stackName}-${logicalId}`;
    identities.set(logicalId, { ref: name, attributes: { Arn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/${name}`, RoleId: name } });
  }
  return identities;
}
