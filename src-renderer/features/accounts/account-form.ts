/** The account dialog's form: its fields as the inputs show them, and how an account (or none) fills it. */
import type { Account } from '../../../src-shared/views/accounts';

export type Security = 'tls' | 'starttls' | 'none';
export const DEFAULT_PORT: Record<Security, number> = { tls: 465, starttls: 587, none: 25 };

export interface Form {
  email: string;
  appPassword: string;
  fromName: string;
  dailyCap: string;
  host: string;
  port: string;
  security: Security;
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
    verify: true,
  };
}
