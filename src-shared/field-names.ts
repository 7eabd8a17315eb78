/** "First Name" → "first_name": how a CSV column becomes a merge field's name, on both sides. */
export function normalizeFieldName(header: string): string {
  return header
    .normalize('NFC')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}]+/gu, '_')
    .replace(/^_+|_+$/g, '');
}
