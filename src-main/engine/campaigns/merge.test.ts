import { describe, it, expect } from 'vitest';
import { escapeHtml, htmlToPlainText, MergeError, renderTemplate, templateFields } from './merge';
import { sanitizeHeaderText } from '../core/addresses';

const html = { escape: 'html' } as const;
const plain = { escape: 'none' } as const;

function mergeError(fn: () => unknown): MergeError {
  try {
    fn();
  } catch (err) {
    if (err instanceof MergeError) return err;
    throw err;
  }
  throw new Error('expected a MergeError');
}

describe('templateFields', () => {
  it('lists every field across subject and body, in order of first use, by normalized name', () => {
    expect(templateFields('Hi {{ First Name | there }}', null, '<p>{{company}} {{first_name|friend}}</p>', undefined)).toEqual([
      { name: 'first_name', defaultValue: 'there' },
      { name: 'company' },
    ]);
  });

  it('treats a field as required when any use of it has no default', () => {
    expect(templateFields('{{city|your town}}', '{{ City }}')).toEqual([{ name: 'city' }]);
    expect(templateFields('{{ City }}', '{{city|your town}}')).toEqual([{ name: 'city' }]);
  });

  it('keeps an explicitly empty default', () => {
    expect(templateFields('Hi{{ nickname| }}!')).toEqual([{ name: 'nickname', defaultValue: '' }]);
  });

  it('ignores braces that are not fields', () => {
    expect(templateFields('{{}} {{ | x }} {{ unclosed', 'a { b } c')).toEqual([]);
  });
});

describe('renderTemplate', () => {
  it('fills fields, ignoring spacing and case inside the braces', () => {
    expect(renderTemplate('Hi {{ First Name }}, welcome to {{company}}.', { first_name: 'Ann', company: 'Acme' }, plain)).toBe(
      'Hi Ann, welcome to Acme.',
    );
  });

  it('inserts values literally, never evaluating {{…}} inside recipient data', () => {
    const values = { first_name: '{{secret}}', secret: 'LEAKED', note: '{{first_name}}' };
    expect(renderTemplate('{{first_name}} / {{note}}', values, plain)).toBe('{{secret}} / {{first_name}}');
  });

  it('escapes values and defaults in HTML mode but not the template itself', () => {
    const out = renderTemplate(
      '<p title="{{name}}">Hi {{name}}, from {{company|Smith & "Sons"}}</p>',
      { name: "<script>alert('x')</script>\"" },
      html,
    );
    expect(out).toBe(
      '<p title="&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;">Hi &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;, from Smith &amp; &quot;Sons&quot;</p>',
    );
  });

  it('leaves values untouched in plain mode', () => {
    expect(renderTemplate('{{name}}', { name: '<b>Tom & Jerry</b>' }, plain)).toBe('<b>Tom & Jerry</b>');
  });

  it('uses the default when the value is missing, empty or blank', () => {
    const template = 'Hi {{first_name|there}}{{suffix|}}!';
    expect(renderTemplate(template, {}, plain)).toBe('Hi there!');
    expect(renderTemplate(template, { first_name: '' }, plain)).toBe('Hi there!');
    expect(renderTemplate(template, { first_name: '   ' }, plain)).toBe('Hi there!');
    expect(renderTemplate(template, { first_name: 'Ann', suffix: ' :)' }, plain)).toBe('Hi Ann :)!');
  });

  it('refuses to render a required field with no value, naming the field', () => {
    const err = mergeError(() => renderTemplate('Dear {{ First Name }},', { last_name: 'Lee' }, html));
    expect(err.code).toBe('merge_missing_field');
    expect(err.field).toBe('first_name');
    expect(err.message).toBe(
      'The field {{first_name}} has no value for this recipient and no default. Give it a default like {{first_name|there}}.',
    );
    expect(mergeError(() => renderTemplate('{{city}}', { city: '' }, plain)).field).toBe('city');
  });

  it('does not read inherited object properties as values', () => {
    expect(mergeError(() => renderTemplate('{{constructor}}', {}, plain)).field).toBe('constructor');
    expect(renderTemplate('{{ toString | n/a }}', {}, plain)).toBe('n/a');
  });

  it('leaves text that only looks like a field as it is', () => {
    expect(renderTemplate('{{name}} {{ and {{}} and }} {', { name: 'Ann' }, plain)).toBe('Ann {{ and {{}} and }} {');
  });

  it('keeps line breaks from data, which sanitizeHeaderText removes from subjects', () => {
    const values = { first_name: 'x\r\nBcc: evil@example.com' };
    const subject = renderTemplate('Hello {{first_name}}', values, plain);
    expect(subject).toBe('Hello x\r\nBcc: evil@example.com');
    const header = sanitizeHeaderText(subject);
    expect(header).toBe('Hello x Bcc: evil@example.com');
    expect(header.split(/\r|\n/)).toHaveLength(1);
  });
});

describe('escapeHtml', () => {
  it('escapes the five HTML-special characters', () => {
    expect(escapeHtml(`<a href="x" class='y'>Tom & Jerry</a>`)).toBe(
      '&lt;a href=&quot;x&quot; class=&#39;y&#39;&gt;Tom &amp; Jerry&lt;/a&gt;',
    );
    expect(escapeHtml('plain text, ünïcode')).toBe('plain text, ünïcode');
  });
});

describe('htmlToPlainText', () => {
  it('writes links as "text (url)" and a bare URL only once', () => {
    const text = htmlToPlainText(
      '<p>Read <a href="https://example.com/post">the post</a> or visit <a href="https://example.com">https://example.com</a>.</p>',
    );
    expect(text).toBe('Read the post (https://example.com/post) or visit https://example.com.');
  });

  it('replaces images with their alt text and drops tracking pixels', () => {
    const text = htmlToPlainText(
      '<p><img src="logo.png" alt="Acme Books">Hello<img src="https://t.example/p.gif" width="1" height="1"></p>',
    );
    expect(text).toBe('Acme BooksHello');
  });

  it('keeps paragraphs and lists readable and wraps at 78 characters', () => {
    const text = htmlToPlainText(`<p>First paragraph.</p><ul><li>One</li><li>Two</li></ul><p>${'word '.repeat(30)}</p>`);
    const lines = text.split('\n');
    expect(lines.slice(0, 5)).toEqual(['First paragraph.', '', ' * One', ' * Two', '']);
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(78);
    expect(text).not.toContain('<');
  });

  it('decodes entities and drops scripts and styles', () => {
    expect(htmlToPlainText('<style>p{color:red}</style><script>alert(1)</script><p>Fish &amp; chips &lt;3</p>')).toBe('Fish & chips <3');
  });
});
