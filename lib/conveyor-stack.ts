import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { Api } from './api.js';
import { Data } from './data.js';

/** Conveyor, composed from one construct per capability. Env-agnostic: no lookups. */
export class ConveyorStack extends Stack {
  readonly data: Data;
  readonly api: Api;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    this.data = new Data(this, 'Data');
    this.api = new Api(this, 'Api', { table: this.data.table });
  }
}
