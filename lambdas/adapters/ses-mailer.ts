import { type SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { EmailFailed } from '../domain/errors.js';
import type { Mailer, MailMessage } from '../domain/mail.js';

/** Sends customer email with SES v2 from the stack's sender identity (the workflow's own emails go the same way). */
export class SesMailer implements Mailer {
  constructor(
    private readonly client: SESv2Client,
    private readonly from: string,
    /** The SES configuration set that counts bounces and complaints (SES_CONFIGURATION_SET); none locally when unset. */
    private readonly configurationSetName?: string,
  ) {}

  async send(message: MailMessage): Promise<void> {
    try {
      await this.client.send(
        new SendEmailCommand({
          FromEmailAddress: this.from,
          ConfigurationSetName: this.configurationSetName,
          Destination: { ToAddresses: [message.to] },
          Content: {
            Simple: {
              Subject: { Data: message.subject, Charset: 'UTF-8' },
              Body: { Html: { Data: message.html, Charset: 'UTF-8' }, Text: { Data: message.text, Charset: 'UTF-8' } },
            },
          },
        }),
      );
    } catch (error) {
      // Neither the subject (an inquiry's is the customer's own words) nor SES's message (in the SES sandbox it names
      // the recipient) goes into the error: it is logged. SES's error name is enough to tell the cause.
      throw new EmailFailed(`A customer email could not be sent (SES: ${(error as Error).name}); try again.`);
    }
  }
}
