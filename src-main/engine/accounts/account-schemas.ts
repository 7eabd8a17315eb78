import { isIPv6 } from 'node:net';
import { z } from 'zod';
import { emailAddress, singleLine } from '../core/validation';

// The arguments of the account operations, checked (zod) where each operation starts.

const fromName = singleLine('The sender name', z.string().trim().max(200));
const dailyCap = z.int('The daily cap must be a whole number.').min(1).max(2000);
/**
 * A server name, an IPv4 address, or an IPv6 address in brackets as in a URL ("[::1]"): stored
 * in its short form, and connected to without the brackets (mailer.ts). A bare IPv6 address is
 * refused with the form to use, since "::1" cannot be told from a name with a port.
 */
const host = z
  .string()
  .trim()
  .min(1)
  .max(253)
  // Checked first, so its sentence is the one given (the pattern below refuses it too).
  .refine((value) => !isIPv6(value), 'Write an IPv6 address in brackets, like [::1].')
  .regex(/^[a-zA-Z0-9.-]+$|^\[[^\]]+\]$/, 'The host must be a server name such as smtp.gmail.com.')
  .transform((value, ctx) => {
    if (!value.startsWith('[')) return value;
    if (!isIPv6(value.slice(1, -1))) {
      ctx.addIssue({
        code: 'custom',
        message: `${value} is not an IPv6 address: write one such as [::1], or a server name such as smtp.gmail.com.`,
      });
      return z.NEVER;
    }
    return new URL(`smtp://${value}`).hostname; // "[0:0::1]" → "[::1]"
  });
const port = z.int().min(1).max(65535);
const security = z.enum(['tls', 'starttls', 'none']);
const imapSecurity = z.enum(['tls', 'none']);

/** What both adding and editing an account may set. `verify: false` skips the login check. */
const accountSettings = {
  fromName: fromName.optional(),
  dailyCap: dailyCap.optional(),
  host: host.optional(),
  port: port.optional(),
  security: security.optional(),
  enabled: z.boolean().optional(),
  verify: z.boolean().optional(),
  /** The mailbox (PRODUCT.md §5b): imap.gmail.com:993 with TLS for a Gmail account. */
  imapHost: host.optional(),
  imapPort: port.optional(),
  imapSecurity: imapSecurity.optional(),
  /** Read this account's mailbox for bounces, unsubscribes, replies and Sent Mail (default on). */
  watchInbox: z.boolean().optional(),
};

export const addAccountSchema = z
  .object({
    email: emailAddress,
    appPassword: z.string().min(1, 'Enter the app password.').max(500),
    ...accountSettings,
  })
  .strict();

export const updateAccountSchema = z
  .object({ id: z.int().positive(), appPassword: z.string().min(1).max(500).optional(), ...accountSettings })
  .strict();

export const accountIdSchema = z.object({ id: z.int().positive() }).strict();
