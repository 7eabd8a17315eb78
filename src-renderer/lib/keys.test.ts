import { describe, expect, it } from 'vitest';
import { repeatKeys } from './keys';

describe('repeatKeys', () => {
  it('gives each item its id, a repeat its id and which repeat it is', () => {
    expect(repeatKeys([5, 6, 5, 5], (id) => id)).toEqual(['5', '6', '5#2', '5#3']);
  });

  it('keeps an item’s key when one before it is removed', () => {
    const files = [{ id: 7 }, { id: 8 }, { id: 9 }];
    const before = repeatKeys(files, (f) => f.id);
    const after = repeatKeys(files.slice(1), (f) => f.id);
    expect(after).toEqual(before.slice(1));
  });
});
