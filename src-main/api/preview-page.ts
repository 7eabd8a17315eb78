import type { ApiHandlers } from './handlers';
import { invoke } from './handlers';

export { PREVIEW_CSP } from './content-policy';

/**
 * The page behind `/preview?campaign=&message=` (headless HTTP and the desktop protocol): a
 * recipient's rendered message, or the reason it cannot be rendered, for a sandboxed frame.
 */
export async function renderPreviewPage(
  handlers: ApiHandlers,
  params: URLSearchParams,
  onUnexpected?: (error: unknown, method: string) => void,
): Promise<string> {
  const id = Number(params.get('campaign'));
  const messageId = params.get('message') ? Number(params.get('message')) : undefined;
  const envelope = await invoke(handlers, 'campaigns.preview', { id, ...(messageId ? { messageId } : {}) }, onUnexpected);
  let html: string;
  if (envelope.ok) {
    const preview = envelope.value as { html?: string; text: string };
    html = preview.html ?? `<pre style="white-space:pre-wrap;font:14px/1.5 system-ui,sans-serif">${escapeHtml(preview.text)}</pre>`;
  } else {
    html = `<p style="font:14px system-ui,sans-serif;color:#b42318">${escapeHtml(envelope.error.message)}</p>`;
  }
  return `<!doctype html><meta charset="utf-8"><base target="_blank">${html}`;
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
