import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ALL_METHOD_NAMES, API_EVENT_NAMES, servedBy } from './contract';
import { API_METHODS } from './methods';

const DOC = join(import.meta.dirname, '../../docs/API.md');

/** docs/API.md, generated from the zod schemas so it cannot drift from what is validated. */
function renderApiDoc(): string {
  const lines = [
    '# Trickle API',
    '',
    '<!-- Generated from the method table, src-main/api/methods.ts, by `npm run docs:api`; do not edit by hand. -->',
    '',
    'One map of named methods, served by the desktop window over IPC and by headless mode over HTTP.',
    '',
    '- **HTTP**: `POST /api/<method>` with a JSON body (the arguments), on `http://127.0.0.1:4580` by default.',
    '  Every request needs the access token in a header, `Authorization: Bearer <token>`; nothing else counts',
    '  (not a cookie: cookies reach every server on 127.0.0.1, whatever its port). The link `npm run serve` prints',
    '  hands the token to the page once; the page keeps it for its own origin and sends it as that header.',
    '  Requests with another `Origin` are refused (403).',
    '- **Answers** are always `{ "ok": true, "value": … }` or `{ "ok": false, "error": { "code", "message", "field"? } }`;',
    '  `message` is a sentence for a person, `field` names the argument at fault.',
    `- **Live updates**: \`GET /api/events\` (Server-Sent Events) with events ${API_EVENT_NAMES.map((e) => `\`${e}\``).join(', ')}.`,
    '- **Tickets**, for the two requests a browser cannot add a header to (an `EventSource`, a frame):',
    '  `POST /api/ticket` with `{ "for": "events" }` or `{ "for": "preview" }` (and the header) answers',
    '  `{ "ticket", "expiresInSeconds": 60 }`; `GET /api/events?ticket=…` or `GET /preview?campaign=…&ticket=…`',
    '  accepts it once, within the minute. A ticket opens nothing else.',
    '- Times are ISO-8601 strings; ids are integers.',
    '',
    'Example:',
    '',
    '```sh',
    'curl -s -X POST http://127.0.0.1:4580/api/campaigns.queue -H "Authorization: Bearer $TOKEN" -d \'{"id": 1}\'',
    '# {"ok":true,"value":{"queued":1234,"message":"Queued 1,234 emails"}}',
    '```',
    '',
    '## Methods',
    '',
  ];
  for (const name of ALL_METHOD_NAMES) {
    const spec = API_METHODS[name];
    const schema = z.toJSONSchema(spec.args, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
    delete schema.$schema;
    const where = servedBy(name, 'headless') ? [] : ['', '_Desktop app only (IPC); headless mode answers `unknown_method`._'];
    lines.push(
      `### \`${name}\``,
      '',
      spec.doc,
      ...where,
      '',
      'Arguments (JSON Schema):',
      '',
      '```json',
      JSON.stringify(schema, null, 2),
      '```',
      '',
    );
  }
  return lines.join('\n');
}

describe('docs/API.md', () => {
  it('documents every method with the schema its arguments are validated against', () => {
    const expected = renderApiDoc();
    if (process.env.UPDATE_API_DOCS) writeFileSync(DOC, expected);
    expect(readFileSync(DOC, 'utf8'), 'docs/API.md is out of date: run `npm run docs:api`').toBe(expected);
  });
});
