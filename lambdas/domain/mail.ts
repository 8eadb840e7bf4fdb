/** One email to one customer, rendered already (subject, HTML and a plain-text part). */
export interface MailMessage {
  to: string;
  subject: string;
  html: string;
  text: string;
}

/** The mail port: functions outside the workflow (returns, inquiries) send customer email through it. */
export interface Mailer {
  /** Sends the message; throws EmailFailed when the mail service refused it or could not be reached. */
  send(message: MailMessage): Promise<void>;
}
