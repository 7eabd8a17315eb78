import { describe, expect, it } from 'vitest';
import { describeUnknownField, editDistance, mergeTokens, nearestColumn, unknownMergeFields } from './merge-fields';

describe('merge fields checked against the list’s columns (window and engine alike)', () => {
  const columns = ['first_name', 'last_name', 'club', 'member_since'];

  it('finds a typo and suggests the column meant', () => {
    expect(unknownMergeFields(['Hi {{frist_name}}', '<p>{{ First Name }} of {{clbu|the club}}</p>'], columns)).toEqual([
      { field: 'frist_name', suggestion: 'first_name' },
      { field: 'clbu', suggestion: 'club' },
    ]);
    expect(describeUnknownField({ field: 'frist_name', suggestion: 'first_name' }, columns)).toBe(
      'There is no column frist_name — did you mean first_name?',
    );
  });

  it('names the columns when nothing is close, and knows the address is always there', () => {
    const unknown = unknownMergeFields(['{{shoe_size}} {{email}} {{Member Since}} {{name|there}}'], columns);
    expect(unknown).toEqual([{ field: 'shoe_size' }]);
    expect(describeUnknownField(unknown[0]!, columns)).toBe(
      'There is no column shoe_size in the list (its columns: first_name, last_name, club, member_since, email, name).',
    );
  });

  it('reads tokens as the engine renders them: braces that are not fields stay text', () => {
    expect(mergeTokens('{{}} {{ | x }} {{ unclosed', 'a { b } c')).toEqual([]);
    expect(mergeTokens('{{a|x}}', '{{ A }}')).toEqual([{ name: 'a' }]);
  });

  it('counts a swap of neighbours as one edit, and suggests nothing far off', () => {
    expect(editDistance('frist', 'first')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(nearestColumn('nm', ['name'])).toBeUndefined();
    expect(nearestColumn('nmae', ['name', 'email'])).toBe('name');
    expect(nearestColumn('zzzzzzzz', columns)).toBeUndefined();
  });
});
