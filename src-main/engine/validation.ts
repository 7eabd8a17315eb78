import { z } from 'zod';
import { checkAddress } from './addresses';
import { EngineError } from './errors';

/**
 * Validates a public function's input. On failure the error names the field and says what
 * is wrong with it; nothing has been changed yet, since this runs first.
 */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  // A missing value reads "This is required." rather than zod's "expected string, received undefined".
  const result = schema.safeParse(input, {
    error: (iss) =>
      iss.code === 'invalid_type' && iss.input === undefined
        ? iss.path?.length
          ? 'This is required.'
          : 'The arguments are missing: give them as an object.'
        : undefined,
  });
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.join('.');
  throw new EngineError('invalid_input', field ? `${field}: ${issue.message}` : issue.message, {
    field: field || undefined,
    issues: result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
  });
}

/** Control characters, line breaks included: none may stand in a header text. */
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/**
 * A text that becomes a header (a subject, a sender name) must be one line: a line break could
 * start a header of its own. It is refused with a clear message rather than quietly changed.
 */
export function singleLine<T extends z.ZodType<string>>(what: string, schema: T): T {
  return schema.refine((value) => !CONTROL_CHARACTERS.test(value), {
    message: `${what} must be one line: remove the line break.`,
  }) as unknown as T;
}

/** An email address, trimmed; refused with the address checker's reason in words. */
export const emailAddress = z.string().transform((value, ctx) => {
  const checked = checkAddress(value);
  if (!checked.ok) {
    ctx.addIssue({ code: 'custom', message: checked.reason });
    return z.NEVER;
  }
  return checked.email;
});
