// ELECTRON — registers trickle:// and serves it through app-protocol.ts (pure).

import { protocol } from 'electron';
import { APP_SCHEME, type AppProtocolOptions, handleAppRequest } from './app-protocol';

/**
 * Must run before the app is ready. `standard` gives trickle://app a real origin (relative
 * URLs, 'self' in the CSP); `secure` makes it a secure context like https:. No CSP bypass,
 * no CORS, no service workers.
 */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } },
  ]);
}

/** After ready: every trickle:// request is answered by handleAppRequest. */
export function serveAppScheme(options: AppProtocolOptions): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const answer = await handleAppRequest({ url: request.url, method: request.method }, options);
    const body = answer.body === null ? null : typeof answer.body === 'string' ? answer.body : new Uint8Array(answer.body);
    return new Response(body, { status: answer.status, headers: answer.headers });
  });
}
