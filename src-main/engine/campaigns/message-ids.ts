import { randomBytes } from 'node:crypto';

/**
 * Message-IDs, fixed once per message and reused on every attempt (a resend is then
 * recognisably the same message): `<24 random hex digits>.<campaign>.<row>@<domain>`, unique by
 * its campaign and row, unguessable by its random part. The domain is random per process, so a
 * Message-ID never reveals the user's machine name.
 */
let cachedDomain: string | undefined;
export function messageIdDomain(): string {
  cachedDomain ??= `${randomBytes(4).toString('hex')}.trickle.invalid`;
  return cachedDomain;
}

/** Message-IDs for many rows of one campaign, drawing the random parts in one go. */
export function messageIdsFor(campaignId: number, rows: readonly number[]): string[] {
  const random = randomBytes(12 * rows.length).toString('hex');
  const domain = messageIdDomain();
  return rows.map((row, k) => `<${random.slice(24 * k, 24 * k + 24)}.${campaignId}.${row}@${domain}>`);
}
