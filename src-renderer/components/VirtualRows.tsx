/**
 * A long table in a box of its own height that scrolls, with only the rows in view in the page
 * (virtual-rows.ts): twenty thousand invalid rows of an import report cost what thirty do
 * (issue 17). Rows are one line each (`rowHeight`); longer values are cut, their whole text in
 * a tooltip.
 */
import { type ReactNode, useState } from 'react';
import { Table } from './Table';
import { rowWindow } from './virtual-rows';

export function VirtualRows<T>({
  items,
  rowHeight = 32,
  height = 320,
  header,
  row,
  label,
}: {
  items: readonly T[];
  rowHeight?: number;
  height?: number;
  /** The header row's cells. */
  header: ReactNode;
  /** One row: a <Table.Row> of the item. */
  row: (item: T, index: number) => ReactNode;
  label: string;
}) {
  const [scrollTop, setScrollTop] = useState(0);
  const { first, end, above, below } = rowWindow(items.length, scrollTop, height, rowHeight);
  return (
    <section
      className="tr-virtual"
      style={{ maxHeight: height, ['--tr-virtual-row' as string]: `${rowHeight}px` }}
      onScroll={(event) => setScrollTop(event.currentTarget.scrollTop)}
      // biome-ignore lint/a11y/noNoninteractiveTabindex: a box that scrolls must be reachable by keyboard to be scrolled.
      tabIndex={0}
      aria-label={label}
    >
      <Table.Root size="1" variant="surface" className="tr-table tr-virtual__table" aria-label={label}>
        <Table.Header>
          <Table.Row>{header}</Table.Row>
        </Table.Header>
        <Table.Body>
          {above > 0 && <tr className="tr-virtual__spacer" style={{ height: above }} />}
          {items.slice(first, end).map((item, k) => row(item, first + k))}
          {below > 0 && <tr className="tr-virtual__spacer" style={{ height: below }} />}
        </Table.Body>
      </Table.Root>
    </section>
  );
}
