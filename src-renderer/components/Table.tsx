/**
 * Radix Themes' Table, minus its ScrollArea: Radix's ScrollArea renders an inline <style>
 * element, which the CSP (`style-src 'self'`) refuses. Same classes, same look; a plain
 * overflow box scrolls a wide table instead.
 */
import { Table as RadixTable } from '@radix-ui/themes';
import type { ReactNode } from 'react';

function Root({
  size = '2',
  variant = 'ghost',
  className,
  children,
  'aria-label': ariaLabel,
}: {
  size?: '1' | '2' | '3';
  variant?: 'surface' | 'ghost';
  /** Classes for the <table> itself (layout, column widths). */
  className?: string;
  children: ReactNode;
  'aria-label'?: string;
}) {
  return (
    <div className={`rt-TableRoot rt-r-size-${size} rt-variant-${variant}`}>
      <div className="tr-table-scroll">
        <table className={`rt-TableRootTable${className ? ` ${className}` : ''}`} aria-label={ariaLabel}>
          {children}
        </table>
      </div>
    </div>
  );
}

export const Table = {
  Root,
  Header: RadixTable.Header,
  Body: RadixTable.Body,
  Row: RadixTable.Row,
  Cell: RadixTable.Cell,
  ColumnHeaderCell: RadixTable.ColumnHeaderCell,
  RowHeaderCell: RadixTable.RowHeaderCell,
};
