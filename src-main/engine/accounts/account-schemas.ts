import { z } from 'zod';
import { emailAddress, singleLine } from '../core/validation';

// The arguments of the account operations, checked (zod) where each operation starts.

const fromName = singleLine('The sender name', z.string().trim().max(200));
const dailyCap = z.int('The daily cap must be a whole number.').min(1).max(2000);
const host = z
  .string()
  .trim()
  .min(1)
  .max(253)
  .regex(/^[a-zA-Z0-9.-]+$|^\[[0-9a-fA-F:.]+\]$/, 'The host must be a server name such as smtp.gmail.com.');
const port = z.int().min(1).max(65535);
const security = z.enum(['tls', 'starttls', 'none']);

/** What both adding and editing an account may set. `verify: false` skips the login check. */
const accountSettings = {
  fromName: fromName.optional(),
  dailyCap: dailyCap.optional(),
  host: host.optional(),
  port: port.optional(),
  security: security.optional(),
  enabled: z.boolean().optional(),
  verify: z.boolean().optional(),
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
