// The editor's form and recipients input, turned into the arguments of campaigns.create and
// campaigns.update: what reaches the engine when the user presses Save.

import { describe, expect, it } from 'vitest';
import { classifyPaste, inspectCsv } from '../../lib/csv';
import { autosaveArgs, createArgs, draftArgs, emailColumnOf, recipientArgs, recipientsShape, updateArgs } from './campaign-args';
import { type Form, formOf, isBlank, type Recipients } from './form';

const form = (patch: Partial<Form> = {}): Form => ({ ...formOf(), name: 'Spring news', subject: 'Hello {{name|there}}', ...patch });

/** What the editor sends for this recipients input, read the way the editor reads it. */
function argsFor(recipients: Recipients) {
  const pasted = classifyPaste(recipients.paste);
  const shape = recipientsShape(recipients, pasted);
  return recipientArgs(recipients, pasted, emailColumnOf(recipients, shape));
}

const NO_RECIPIENTS: Recipients = { mode: 'file', paste: '', emailColumn: '' };

describe('a new campaign (campaigns.create)', () => {
  it('leaves out the optional fields left empty or blank', () => {
    const args = createArgs(form({ html: '<p>Hi</p>', text: '  \n', fromName: '   ', replyTo: '' }), {
      recipients: [{ email: 'ann@example.org' }],
    });
    expect(args).toEqual({
      name: 'Spring news',
      subject: 'Hello {{name|there}}',
      html: '<p>Hi</p>',
      recipients: [{ email: 'ann@example.org' }],
    });
  });

  it('sends the body as typed, the sender name and reply-to trimmed', () => {
    const args = createArgs(form({ html: '  <p>Hi</p>\n', text: 'Hi\n', fromName: '  The Club ', replyTo: ' sec@example.org ' }), {
      csv: 'email\nann@example.org',
    });
    expect(args).toMatchObject({
      html: '  <p>Hi</p>\n',
      text: 'Hi\n',
      fromName: 'The Club',
      replyTo: 'sec@example.org',
      csv: 'email\nann@example.org',
    });
  });

  it('names the attachments by their id in the store, and only when there are some', () => {
    const attachments = [
      { id: 4, filename: 'menu.pdf', size: 1200 },
      { id: 9, filename: 'map.png', size: 80, missing: true as const },
    ];
    expect(createArgs(form({ attachments }), { csv: 'email\na@b.co' }).attachments).toEqual([4, 9]);
    expect(createArgs(form(), { csv: 'email\na@b.co' })).not.toHaveProperty('attachments');
  });

  it('converts the schedule’s local times to ISO-8601, and leaves empty ones out', () => {
    const args = createArgs(form({ sendAfter: '2026-03-10T09:30', stopAfter: '' }), { csv: 'email\na@b.co' });
    expect(args.sendAfter).toBe(new Date(2026, 2, 10, 9, 30).toISOString());
    expect(args).not.toHaveProperty('stopAfter');
  });
});

describe('the recipients of a new campaign', () => {
  const fileText = 'Name,E-mail\nAnn,ann@example.org\nBob,bob@example.org\n';

  it('are missing until a file is read or something is pasted', () => {
    expect(argsFor(NO_RECIPIENTS)).toBeUndefined();
    expect(argsFor({ ...NO_RECIPIENTS, mode: 'paste', paste: '  \n ' })).toBeUndefined();
    // A refused file leaves nothing to import.
    expect(argsFor({ ...NO_RECIPIENTS, fileName: 'huge.csv', fileError: 'The file is 200 MB; …' })).toBeUndefined();
  });

  it('from a CSV file: its text, with the address column only when one is known', () => {
    const file: Recipients = { ...NO_RECIPIENTS, fileName: 'members.csv', fileText, fileShape: inspectCsv(fileText) };
    // "E-mail" is found by its contents, so it is sent along.
    expect(argsFor(file)).toEqual({ csv: fileText, emailColumn: 'E-mail' });
    // The user's choice wins.
    expect(argsFor({ ...file, emailColumn: 'Name' })).toEqual({ csv: fileText, emailColumn: 'Name' });
    // No column found and none chosen: the engine looks for it itself.
    const plain = 'first,last\nAnn,Lee\n';
    expect(argsFor({ ...NO_RECIPIENTS, fileName: 'x.csv', fileText: plain, fileShape: inspectCsv(plain) })).toEqual({ csv: plain });
  });

  it('pasted as a list: one recipient per address', () => {
    expect(argsFor({ ...NO_RECIPIENTS, mode: 'paste', paste: 'ann@example.org\nbob@example.org, cy@example.org\n' })).toEqual({
      recipients: [{ email: 'ann@example.org' }, { email: 'bob@example.org' }, { email: 'cy@example.org' }],
    });
  });

  it('pasted as CSV: the text trimmed, read as a CSV with its address column', () => {
    const paste = '\nemail,first_name\nann@example.org,Ann\n\n';
    expect(argsFor({ ...NO_RECIPIENTS, mode: 'paste', paste })).toEqual({
      csv: 'email,first_name\nann@example.org,Ann',
      emailColumn: 'email',
    });
  });

  it('follow the mode shown, not the other input', () => {
    const both: Recipients = {
      mode: 'paste',
      paste: 'ann@example.org',
      emailColumn: '',
      fileName: 'members.csv',
      fileText,
      fileShape: inspectCsv(fileText),
    };
    expect(argsFor(both)).toEqual({ recipients: [{ email: 'ann@example.org' }] });
    expect(argsFor({ ...both, mode: 'file' })).toEqual({ csv: fileText, emailColumn: 'E-mail' });
  });
});

describe('a saved campaign (campaigns.update)', () => {
  it('sends every field, an emptied optional one as null so it is cleared', () => {
    expect(updateArgs(12, form({ html: ' \n', text: ' ', fromName: '  ', replyTo: '', sendAfter: '', stopAfter: '' }))).toEqual({
      id: 12,
      name: 'Spring news',
      subject: 'Hello {{name|there}}',
      html: null,
      text: null,
      fromName: null,
      replyTo: null,
      attachments: [],
      sendAfter: null,
      stopAfter: null,
      rehearsal: false,
    });
  });

  it('keeps what is filled in, trims the sender name and reply-to, converts the times', () => {
    const args = updateArgs(
      3,
      form({
        html: '<p>Hi</p>',
        fromName: ' Club ',
        replyTo: 'sec@example.org ',
        stopAfter: '2026-04-01T18:00',
        attachments: [{ id: 1, filename: 'a.pdf', size: 10 }],
      }),
    );
    expect(args).toMatchObject({
      id: 3,
      html: '<p>Hi</p>',
      text: null,
      fromName: 'Club',
      replyTo: 'sec@example.org',
      attachments: [1],
      sendAfter: null,
    });
    expect(args.stopAfter).toBe(new Date(2026, 3, 1, 18, 0).toISOString());
  });

  it('starts from the saved campaign as the inputs show it', () => {
    const saved = formOf({
      id: 3,
      name: 'N',
      subject: 'S',
      html: '<p>x</p>',
      attachments: [],
      fields: [],
      status: 'draft',
      rehearsal: false,
      sendAfter: new Date(2026, 5, 1, 8, 5).toISOString(),
      counts: {} as never,
      replies: { replied: 0, autoReplied: 0, unsubscribed: 0 },
      total: 0,
      createdAt: '2026-01-01T00:00:00.000Z',
    });
    expect(saved).toMatchObject({ text: '', fromName: '', replyTo: '', sendAfter: '2026-06-01T08:05', stopAfter: '' });
    // Saving it unchanged sends the same times back.
    expect(updateArgs(3, saved).sendAfter).toBe(new Date(2026, 5, 1, 8, 5).toISOString());
  });
});

describe('a draft saved as the user types (campaigns.createDraft, then campaigns.update)', () => {
  it('is created at the first change with whatever is filled in, nothing required', () => {
    expect(isBlank(formOf())).toBe(true);
    expect(isBlank({ ...formOf(), html: '<p>D' })).toBe(false);
    expect(draftArgs({ ...formOf(), html: '<p>Dear' })).toEqual({ html: '<p>Dear' });
    expect(draftArgs({ ...formOf(), name: 'Fair', rehearsal: true })).toEqual({ name: 'Fair', rehearsal: true });
  });

  it('keeps the saved name and subject while one is emptied for the moment, and skips a refused field', () => {
    const args = autosaveArgs(5, form({ name: ' ', subject: '', replyTo: 'not-yet@', html: '<p>x</p>' }), ['replyTo']);
    expect(args).not.toHaveProperty('name');
    expect(args).not.toHaveProperty('subject');
    expect(args).not.toHaveProperty('replyTo');
    expect(args).toMatchObject({ id: 5, html: '<p>x</p>', rehearsal: false });
    expect(autosaveArgs(5, form({ rehearsal: true }))).toMatchObject({
      name: 'Spring news',
      subject: 'Hello {{name|there}}',
      rehearsal: true,
    });
  });
});
