// The API's errors as values the window can show: thrown for TanStack Query, and a field's
// message without its field's name.
import type { ApiError, Envelope } from '../../src-main/api/contract';

/** An API error thrown by `unwrap`, so TanStack Query can carry it. */
export class ApiCallError extends Error implements ApiError {
  readonly code: string;
  readonly field?: string;
  readonly serverReply?: { code: string; response: string };
  constructor(error: ApiError) {
    super(error.message);
    this.name = 'ApiCallError';
    this.code = error.code;
    if (error.field !== undefined) this.field = error.field;
    if (error.serverReply !== undefined) this.serverReply = error.serverReply;
  }
}

export function unwrap<T>(envelope: Envelope<T>): T {
  if (envelope.ok) return envelope.value;
  throw new ApiCallError(envelope.error);
}

/**
 * The engine prefixes a field error's message with the field's name ("appPassword: …"):
 * next to the field itself that prefix is noise.
 */
export function messageForField(error: ApiError): string {
  if (error.field && error.message.startsWith(`${error.field}: `)) return error.message.slice(error.field.length + 2);
  return error.message;
}

/** The error's message if it concerns `field`, else undefined. */
export function fieldError(error: ApiError | null | undefined, field: string): string | undefined {
  if (!error || error.field !== field) return undefined;
  return messageForField(error);
}
