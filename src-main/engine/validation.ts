import type { z } from 'zod';
import { EngineError } from './errors';

/**
 * Validates a public function's input. On failure the error names the field and says what
 * is wrong with it; nothing has been changed yet, since this runs first.
 */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.join('.');
  throw new EngineError('invalid_input', field ? `${field}: ${issue.message}` : issue.message, {
    field: field || undefined,
    issues: result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
  });
}
