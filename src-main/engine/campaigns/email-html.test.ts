import { describe, expect, it } from 'vitest';
import { dangerousParts, PASTED_HTML } from '../../../test/fixtures/pasted-html/corpus';
import { cleanCampaignHtml, cleanRenderedHtml } from './email-html';
import { renderMessage } from './compose';

describe('the engine cleans pasted and scripted HTML (sanitiser corpus)', () => {
  for (const sample of PASTED_HTML) {
    it(sample.name, () => {
      const stored = cleanCampaignHtml(sample.html);
      expect(dangerousParts(stored)).toEqual([]);
      for (const kept of sample.keeps) expect(stored).toContain(kept);
      // Cleaning what is stored changes nothing more: the editor reopens what will be sent.
      expect(cleanCampaignHtml(stored)).toBe(stored);
      // Sending cleans again after merging; the user's content is still there.
      const sent = cleanRenderedHtml(stored.replaceAll('{{profile_url}}', 'https://club.example/me'));
      expect(dangerousParts(sent)).toEqual([]);
      // The checker itself sees what it is for: the raw paste of every hostile sample fails it.
      if (sample.hostile) expect(dangerousParts(sample.html)).not.toEqual([]);
    });
  }

  it('checks a link or image made of a merge field again once the recipient’s value is in', () => {
    const campaign = {
      subject: 'Hi',
      html: cleanCampaignHtml('<p><a href="{{link}}">Open</a> <img src="{{photo}}" alt="photo"></p>'),
      text: null,
      from_name: null,
      reply_to: null,
    };
    expect(campaign.html).toContain('href="{{link}}"');
    const hostile = renderMessage(
      campaign,
      {
        email: 'a@example.com',
        name: null,
        fields: JSON.stringify({ link: 'javascript:alert(1)', photo: 'http://track.example/p.gif' }),
        message_id: null,
      },
      { email: 'me@gmail.com', fromName: '' },
    );
    expect(hostile.html).not.toMatch(/javascript:/i);
    expect(hostile.html).not.toContain('track.example');
    expect(hostile.html).toContain('>Open</a>');
    const fine = renderMessage(
      campaign,
      {
        email: 'a@example.com',
        name: null,
        fields: JSON.stringify({ link: 'https://club.example/?a=1&b=2', photo: 'https://club.example/p.png' }),
        message_id: null,
      },
      { email: 'me@gmail.com', fromName: '' },
    );
    expect(fine.html).toContain('href="https://club.example/?a=1&amp;b=2"');
    expect(fine.html).toContain('src="https://club.example/p.png"');
  });
});
