/**
 * React keys for a list whose items may repeat (the same file attached twice, two columns with
 * one name): an item's own id, and for a repeat of it, which repeat it is. Unlike the position,
 * an item keeps its key when another one is removed.
 */
export function repeatKeys<T>(items: readonly T[], idOf: (item: T) => string | number): string[] {
  const seen = new Map<string | number, number>();
  return items.map((item) => {
    const id = idOf(item);
    const n = (seen.get(id) ?? 0) + 1;
    seen.set(id, n);
    return n === 1 ? String(id) : `${id}#${n}`;
  });
}
