/** The account dialog's form: its fields as the inputs show them, and how an account (or none) fills it. */
import type { Account } from '../../../src-shared/views/accounts';

export type Security = 'tls' | 'starttls' | 'none';
export const DEFAULT_PORT: Record<Security, number> = { tls: 465, starttls: 587, none: 25 };
export type ImapSecurity = 'tls' | 'none';
export const DEFAULT_IMAP_PORT: Record<ImapSecurity, number> = { tls: 993, none: 143 };

export interface Form {
  email: string;
  appPassword: string;
  fromName: string;
  dailyCap: string;
  host: string;
  port: string;
  security: Security;
  /** The mailbox's IMAP server; empty: Gmail's for a Gmail account (the engine fills it in). */
  imapHost: string;
  imapPort: string;
  imapSecurity: ImapSecurity;
  /** Read the mailbox for bounces, unsubscribe requests, replies and Sent Mail. */
  watchInbox: boolean;
  verify: boolean;
}

export function initial(account?: Account): Form {
  return {
    email: account?.email ?? '',
    appPassword: '',
    fromName: account?.fromName ?? '',
    dailyCap: String(account?.dailyCap ?? 100),
    host: account?.host ?? 'smtp.gmail.com',
    port: String(account?.port ?? 465),
    security: account?.security ?? 'tls',
    imapHost: account?.imapHost ?? '',
    imapPort: String(account?.imapPort ?? 993),
    imapSecurity: account?.imapSecurity ?? 'tls',
    watchInbox: account?.watchInbox ?? true,
    verify: true,
  };
}

/** The mailbox fields to send: the server only when one is given (else the engine's default, Gmail's). */
export function imapArgs(
  form: Form,
  port: number,
): { imapHost?: string; imapPort?: number; imapSecurity?: ImapSecurity; watchInbox: boolean } {
  const host = form.imapHost.trim();
  return { ...(host ? { imapHost: host, imapPort: port, imapSecurity: form.imapSecurity } : {}), watchInbox: form.watchInbox };
}
