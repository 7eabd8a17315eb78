/**
 * Which rows of a long list a scrolled box shows (VirtualRows.tsx): those in view, a few more
 * on each side so a quick scroll shows no gap, and how much room the rows left out take above
 * and below. Rows have one height.
 */
export interface RowWindow {
  first: number;
  /** One past the last row rendered. */
  end: number;
  /** Heights, in pixels, standing in for the rows before `first` and from `end` on. */
  above: number;
  below: number;
}

export function rowWindow(total: number, scrollTop: number, viewHeight: number, rowHeight: number, overscan = 10): RowWindow {
  const first = Math.max(0, Math.min(total, Math.floor(scrollTop / rowHeight) - overscan));
  const end = Math.min(total, Math.ceil((scrollTop + viewHeight) / rowHeight) + overscan);
  return { first, end: Math.max(first, end), above: first * rowHeight, below: Math.max(0, total - Math.max(first, end)) * rowHeight };
}
