import { z } from 'zod';
import { checkAddress } from './addresses';
import { EngineError } from './errors';

/** What a method that takes no arguments accepts: nothing, or an empty object. */
export const noArgumentsSchema = z.object({}).strict().optional();

/** Checks that a method that takes no arguments was given none. */
export function noArguments(input: unknown): void {
  parseInput(noArgumentsSchema, input);
}

/**
 * Validates a public function's input. On failure the error names the field and says what
 * is wrong with it; nothing has been changed yet, since this runs first.
 */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  // Zod's defaults are for programmers ("Too big: expected number to be <=100"); these are for people.
  const result = schema.safeParse(input, { error: plainWords });
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.join('.');
  throw new EngineError('invalid_input', field ? `${field}: ${issue.message}` : issue.message, {
    field: field || undefined,
    issues: result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
  });
}

/** A schema's own message wins; otherwise the common problems in plain words. */
function plainWords(issue: z.core.$ZodRawIssue): string | undefined {
  const i = issue as {
    code: string;
    input?: unknown;
    path?: PropertyKey[];
    minimum?: unknown;
    maximum?: unknown;
    origin?: string;
    expected?: string;
    keys?: string[];
  };
  switch (i.code) {
    case 'invalid_type':
      if (i.input === undefined) return i.path?.length ? 'This is required.' : 'The arguments are missing: give them as an object.';
      if (i.expected === 'int' || i.expected === 'number') return 'This must be a number.';
      if (i.expected === 'string') return 'This must be text.';
      if (i.expected === 'boolean') return 'This must be true or false.';
      return undefined;
    case 'too_big':
      return i.origin === 'string'
        ? `This is too long (at most ${String(i.maximum)} characters).`
        : i.origin === 'array'
          ? `At most ${String(i.maximum)} items.`
          : `This must be at most ${String(i.maximum)}.`;
    case 'too_small':
      return i.origin === 'string'
        ? Number(i.minimum) <= 1
          ? 'This cannot be empty.'
          : `This must be at least ${String(i.minimum)} characters.`
        : i.origin === 'array'
          ? `At least ${String(i.minimum)} items.`
          : `This must be at least ${String(i.minimum)}.`;
    case 'unrecognized_keys':
      return `Unknown argument${(i.keys?.length ?? 0) > 1 ? 's' : ''}: ${(i.keys ?? []).join(', ')}.`;
    default:
      return undefined;
  }
}

/** Control characters, line breaks included: none may stand in a header text. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is this pattern's job (\p{Cc} would add U+0080–U+009F)
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
