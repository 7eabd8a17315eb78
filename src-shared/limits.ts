// Limits both the window and the engine enforce: the window refuses early, the engine for sure.

const MB = 1024 * 1024;

/** The largest recipients file the engine imports. */
export const MAX_CSV_BYTES = 50 * MB;

/** Gmail's limit for a message's attachments together. */
export const MAX_ATTACHMENTS_BYTES = 25 * MB;

/** The longest message body (HTML or plain text), in characters: a paste over it is refused at once. */
export const MAX_BODY_CHARS = 5_000_000;
