import { Arn, Stack } from 'aws-cdk-lib';
import * as ses from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';

export interface EmailProps {
  /** Where order emails come from; set with `cdk deploy -c senderEmail=orders@your-shop.example`. */
  senderEmail: string;
}

/** The SES identity order emails are sent from. In AWS it must be verified before mail goes out. */
export class Email extends Construct {
  readonly senderEmail: string;
  readonly identityArn: string;

  constructor(scope: Construct, id: string, props: EmailProps) {
    super(scope, id);
    this.senderEmail = props.senderEmail;
    new ses.EmailIdentity(this, 'Sender', { identity: ses.Identity.email(props.senderEmail) });
    this.identityArn = Arn.format({ service: 'ses', resource: 'identity', resourceName: props.senderEmail }, Stack.of(this));
  }
}
