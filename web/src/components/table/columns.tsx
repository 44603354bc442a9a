// Table columns: what a column is, which ones are shown (remembered per table) and the chooser.
import type { ReactNode } from 'react';
import { ActionIcon, Button, Checkbox, Popover, Stack, Tooltip } from '@mantine/core';

/** One column: how to show a cell, how to export it, which ordering sorts it. */
export interface Column<T extends object> {
  id: string;
  header: string;
  cell(row: T): ReactNode;
  /** CSV value; defaults to the row's field of the same id. */
  csv?(row: T): unknown;
  /** Ordering name understood by the API. */
  sort?: string;
  /** Hidden until the user picks it in the column chooser. */
  hidden?: boolean;
  width?: number | string;
  align?: 'right' | 'left';
}

/** A row's own field by name: a column's CSV value when it defines none. */
export function fieldOf(row: object, key: string): unknown {
  return Object.getOwnPropertyDescriptor(row, key)?.value;
}

const storageKey = (tableId: string) => `peerdesk.columns.${tableId}`;

/** The column ids shown in a table: the user's remembered choice, else every column not hidden. */
export function loadColumns<T extends object>(tableId: string, columns: Column<T>[]): string[] {
  try {
    const saved = JSON.parse(localStorage.getItem(storageKey(tableId)) ?? 'null');
    if (Array.isArray(saved)) return saved.filter((c) => columns.some((col) => col.id === c));
  } catch {
    /* ignore a corrupt entry */
  }
  return columns.filter((c) => !c.hidden).map((c) => c.id);
}

/** Remembers the shown columns of a table. */
export function saveColumns(tableId: string, ids: string[]): void {
  localStorage.setItem(storageKey(tableId), JSON.stringify(ids));
}

/** The ☰ popover listing every column with a checkbox, and Reset. */
export function ColumnChooser<T extends object>({
  columns,
  visible,
  onChange,
}: {
  columns: Column<T>[];
  visible: string[];
  onChange: (ids: string[]) => void;
}) {
  return (
    <Popover position="bottom-end" withinPortal shadow="md">
      <Popover.Target>
        <Tooltip label="Choose columns">
          <ActionIcon variant="default" size={30} aria-label="Columns" data-testid="column-chooser">
            ☰
          </ActionIcon>
        </Tooltip>
      </Popover.Target>
      <Popover.Dropdown>
        <Stack gap={4}>
          {columns.map((c) => (
            <Checkbox
              key={c.id}
              label={c.header}
              checked={visible.includes(c.id)}
              onChange={(e) =>
                onChange(
                  e.currentTarget.checked
                    ? columns.filter((x) => x.id === c.id || visible.includes(x.id)).map((x) => x.id)
                    : visible.filter((v) => v !== c.id),
                )
              }
            />
          ))}
          <Button
            variant="subtle"
            size="compact-xs"
            onClick={() => onChange(columns.filter((c) => !c.hidden).map((c) => c.id))}
          >
            Reset
          </Button>
        </Stack>
      </Popover.Dropdown>
    </Popover>
  );
}
