// Row selection: the selected rows (kept across pages), bulk actions on them from the Actions menu
// and the right-click menu.
import { useCallback, useEffect, useState } from 'react';
import { Menu, Paper, Tooltip } from '@mantine/core';

/** An action on the selected rows (Actions menu and right-click menu). */
export interface BulkAction<T> {
  label: string;
  color?: string;
  /** When set, the action is shown disabled with this explanation. */
  unavailable?: string | null;
  tooltip?: string;
  run(ids: number[], rows: T[]): void | Promise<void>;
}

/**
 * The selected rows by id. Selection survives paging (rows are remembered so bulk actions and CSV
 * see every selected one), is cleared when `resetKey` (search and filters) changes, and remembered
 * rows follow the page's fresh data (e.g. after Admin Down).
 */
export function useSelection<T extends { id: number }>(rows: T[], resetKey: string) {
  const [selected, setSelected] = useState<Map<number, T>>(new Map());
  useEffect(() => setSelected((m) => (m.size ? new Map() : m)), [resetKey]);
  const toggle = useCallback(
    (row: T) =>
      setSelected((m) => {
        const n = new Map(m);
        if (n.has(row.id)) n.delete(row.id);
        else n.set(row.id, row);
        return n;
      }),
    [],
  );
  const allOnPage = rows.length > 0 && rows.every((r) => selected.has(r.id));
  const someOnPage = rows.some((r) => selected.has(r.id));
  const togglePage = () =>
    setSelected((m) => {
      const n = new Map(m);
      if (allOnPage) rows.forEach((r) => n.delete(r.id));
      else rows.forEach((r) => n.set(r.id, r));
      return n;
    });
  useEffect(() => {
    if (!selected.size) return;
    let changed = false;
    const n = new Map(selected);
    for (const r of rows) {
      if (n.has(r.id) && n.get(r.id) !== r) {
        n.set(r.id, r);
        changed = true;
      }
    }
    if (changed) setSelected(n);
  }, [rows]);
  return { selected, setSelected, toggle, allOnPage, someOnPage, togglePage };
}

/** One entry of the Actions menu; an unavailable action shows why in a tooltip. */
export function ActionItem<T>({ action, onRun }: { action: BulkAction<T>; onRun: () => void }) {
  const item = (
    <Menu.Item color={action.color} disabled={Boolean(action.unavailable)} onClick={onRun}>
      {action.label}
    </Menu.Item>
  );
  const tip = action.unavailable ?? action.tooltip;
  return tip ? (
    <Tooltip label={tip} position="left" multiline w={260}>
      <div>{item}</div>
    </Tooltip>
  ) : (
    item
  );
}

/** Closes the right-click menu on a click, scroll or Escape anywhere while it is open. */
export function useContextMenu() {
  const [ctx, setCtx] = useState<{ x: number; y: number } | null>(null);
  useEffect(() => {
    if (!ctx) return;
    const close = () => setCtx(null);
    // Escape closes the menu wherever the focus is (the menu itself, the page, the table).
    const onKey = (e: globalThis.KeyboardEvent) => {
      if (e.key === 'Escape') setCtx(null);
    };
    window.addEventListener('click', close);
    window.addEventListener('scroll', close, true);
    window.addEventListener('keydown', onKey);
    return () => {
      window.removeEventListener('click', close);
      window.removeEventListener('scroll', close, true);
      window.removeEventListener('keydown', onKey);
    };
  }, [ctx]);
  return [ctx, setCtx] as const;
}

/** The right-click menu: the selection's size and every bulk action. */
export function ContextMenu<T>({
  at,
  count,
  actions,
  onRun,
}: {
  at: { x: number; y: number };
  count: number;
  actions: BulkAction<T>[];
  onRun: (a: BulkAction<T>) => void;
}) {
  return (
    <Paper
      shadow="md"
      withBorder
      className="context-menu"
      style={{ left: at.x, top: at.y }}
      role="menu"
      data-testid="context-menu"
      onClick={(e) => e.stopPropagation()}
    >
      <div className="cm-title">{count} selected</div>
      {actions.map((a) => (
        <button
          key={a.label}
          className="cm-item"
          disabled={Boolean(a.unavailable)}
          title={a.unavailable ?? a.tooltip}
          onClick={() => onRun(a)}
          style={a.color ? { color: `var(--mantine-color-${a.color}-6)` } : undefined}
        >
          {a.label}
        </button>
      ))}
    </Paper>
  );
}
