import { countEmails, type Emails } from './summary.js';

interface StoredEmail {
  subject: string;
  destination: { to: string[] };
}

/** The subjects of the emails sent to this run's customers (their addresses carry the run id) since `sinceSeconds`. */
async function subjects(mailbox: string, sinceSeconds: number, runId: string): Promise<string[]> {
  const response = await fetch(`${mailbox}/store?since=${sinceSeconds}`);
  if (!response.ok) throw new Error(`the mailbox answered ${response.status}`);
  const { emails } = (await response.json()) as { emails: StoredEmail[] };
  return emails.filter((email) => email.destination.to.some((to) => to.includes(`.${runId}.`))).map((email) => email.subject);
}

/**
 * The run's emails in SES's local mailbox. The last ones go out a moment after the status they announce is
 * written, so it reads again until two reads agree (at most a few seconds).
 */
export async function runEmails(mailbox: string, sinceSeconds: number, runId: string): Promise<Emails> {
  let found = await subjects(mailbox, sinceSeconds, runId);
  for (let read = 0; read < 8; read++) {
    await new Promise((resolve) => setTimeout(resolve, 750));
    const again = await subjects(mailbox, sinceSeconds, runId);
    if (again.length === found.length) break;
    found = again;
  }
  return countEmails(found);
}
