/** The Content-Security-Policies both doors send: one for Trickle's page, one for previews. */

/** Trickle's page: only its own scripts, styles, frames and requests; no plugins, no framing. */
export const APP_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * A message preview's policy, the same through both doors: the message's own inline styles
 * and images show; no script runs (`sandbox` without allow-scripts), nothing else loads, and
 * only Trickle's page may frame it.
 */
export const PREVIEW_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data: https: http:; font-src data: https:; frame-ancestors 'self'; sandbox";
