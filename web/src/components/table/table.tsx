// The one list component: server paging, sorting and filters, quick search, column chooser
// (remembered), row selection with bulk actions (menu and right-click), CSV export, keyboard navigation.
// Its parts: columns.tsx, filters.tsx, selection.tsx; this file holds the table and its body.
import {
  memo,
  useCallback,
  useEffect,
  useMemo,
  useRef,
  useState,
  type ReactNode,
  type KeyboardEvent,
  type MouseEvent,
} from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Button, Group, Loader, Menu, Pagination, Paper, Select, Stack, Text, TextInput, Tooltip } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import type { ListParams, Page } from '../../api/client';
import { ApiError } from '../../api/client';
import { navigate, useLocation } from '../../app/router';
import { download, toCsv } from '../format';
import { ColumnChooser, fieldOf, loadColumns, saveColumns, type Column } from './columns';
import { FilterBar, readUrlState, writeUrlState, type FilterDef, type TableState } from './filters';
import { ActionItem, ContextMenu, useContextMenu, useSelection, type BulkAction } from './selection';

export interface DataTableProps<T extends { id: number }> {
  /** Key for remembered columns and for tests. */
  id: string;
  queryKey: unknown[];
  fetch: (params: ListParams, signal: AbortSignal) => Promise<Page<T>>;
  columns: Column<T>[];
  filters?: FilterDef[];
  /** Fixed filters (related tables on a detail page). */
  fixed?: ListParams;
  defaultOrdering?: string;
  actions?: BulkAction<T>[];
  toolbar?: ReactNode;
  title?: ReactNode;
  rowHref?: (row: T) => string | null;
  selectable?: boolean;
  searchable?: boolean;
  pageSize?: number;
  /** Keep search, filters, ordering and page in the address bar (main lists). */
  urlState?: boolean;
  refetchInterval?: number | false;
  /** Called with each fetched page (e.g. to merge live updates). */
  onPage?: (page: Page<T>) => void;
  emptyText?: string;
}

const PAGE_SIZES = ['25', '50', '100', '250', '500'];

/** Server-driven data table. */
export function DataTable<T extends { id: number }>(props: DataTableProps<T>) {
  const { columns, filters = [], selectable = true, searchable = true } = props;
  const loc = useLocation();
  const defaults: TableState = {
    q: '',
    ordering: props.defaultOrdering ?? '',
    offset: 0,
    limit: props.pageSize ?? 50,
    filters: {},
  };
  const [state, setStateRaw] = useState<TableState>(() =>
    props.urlState ? readUrlState(loc.search, filters, defaults) : defaults,
  );
  const setState = useCallback(
    (fn: (s: TableState) => TableState) => {
      setStateRaw((prev) => {
        const next = fn(prev);
        if (props.urlState) queueMicrotask(() => writeUrlState(window.location.pathname, next, defaults));
        return next;
      });
    },
    [props.urlState],
  );
  const [qInput, setQInput] = useState(state.q);
  const [qDebounced] = useDebouncedValue(qInput, 250);
  useEffect(() => {
    if (qDebounced !== state.q) setState((s) => ({ ...s, q: qDebounced, offset: 0 }));
  }, [qDebounced]);

  const [visible, setVisible] = useState<string[]>(() => loadColumns(props.id, columns));
  const shown = useMemo(() => columns.filter((c) => visible.includes(c.id)), [columns, visible]);
  const saveVisible = (ids: string[]) => {
    setVisible(ids);
    saveColumns(props.id, ids);
  };

  const params: ListParams = useMemo(
    () => ({
      limit: state.limit,
      offset: state.offset,
      q: state.q || undefined,
      ordering: state.ordering || undefined,
      ...state.filters,
      ...props.fixed,
    }),
    [state, props.fixed],
  );
  const query = useQuery({
    queryKey: [...props.queryKey, params],
    queryFn: ({ signal }) => props.fetch(params, signal),
    placeholderData: keepPreviousData,
    refetchInterval: props.refetchInterval,
  });
  useEffect(() => {
    if (query.data && props.onPage) props.onPage(query.data);
  }, [query.data]);
  const rows = query.data?.results ?? [];
  const count = query.data?.count ?? 0;

  // Selection survives paging; rows are remembered so bulk actions and CSV see every selected one.
  const filterKey = JSON.stringify([state.q, state.filters, props.fixed]);
  const { selected, setSelected, toggle, allOnPage, someOnPage, togglePage } = useSelection(rows, filterKey);

  // Sorting: click cycles asc → desc → default; shift-click adds a secondary key.
  const sortParts = state.ordering ? state.ordering.split(',') : [];
  const sortDir = (key: string) => (sortParts.includes(key) ? 'asc' : sortParts.includes(`-${key}`) ? 'desc' : null);
  const onSort = (key: string, add: boolean) => {
    const dir = sortDir(key);
    const next = dir === null ? key : dir === 'asc' ? `-${key}` : null;
    const others = add ? sortParts.filter((p) => p !== key && p !== `-${key}`) : [];
    const ordering = [...others, ...(next ? [next] : [])].join(',');
    setState((s) => ({ ...s, ordering: ordering || (add ? '' : defaults.ordering), offset: 0 }));
  };

  // Right-click menu.
  const [ctx, setCtx] = useContextMenu();

  // Keyboard navigation.
  const [active, setActive] = useState(-1);
  const bodyRef = useRef<HTMLTableSectionElement>(null);
  useEffect(() => {
    if (active >= rows.length) setActive(rows.length - 1);
  }, [rows.length]);
  useEffect(() => {
    bodyRef.current?.children[active]?.scrollIntoView({ block: 'nearest' });
  }, [active]);
  const pages = Math.max(1, Math.ceil(count / state.limit));
  const page = Math.floor(state.offset / state.limit) + 1;
  const goPage = (p: number) => setState((s) => ({ ...s, offset: (Math.min(Math.max(1, p), pages) - 1) * s.limit }));
  const onKeyDown = (e: KeyboardEvent) => {
    if ((e.target as HTMLElement).closest('input,textarea,button,[role=menu]')) return;
    const row = rows[active];
    switch (e.key) {
      case 'ArrowDown':
      case 'j':
        setActive((a) => Math.min(rows.length - 1, a + 1));
        break;
      case 'ArrowUp':
      case 'k':
        setActive((a) => Math.max(0, a - 1));
        break;
      case 'Home':
        setActive(0);
        break;
      case 'End':
        setActive(rows.length - 1);
        break;
      case 'PageDown':
      case 'ArrowRight':
        goPage(page + 1);
        break;
      case 'PageUp':
      case 'ArrowLeft':
        goPage(page - 1);
        break;
      case 'Enter': {
        const href = row && props.rowHref?.(row);
        if (href) navigate(href);
        break;
      }
      case ' ':
      case 'x':
        if (row && selectable) toggle(row);
        break;
      case 'Escape':
        setSelected(new Map());
        setCtx(null);
        break;
      default:
        return;
    }
    e.preventDefault();
  };

  const latest = useRef({ selected, actions: props.actions, rowHref: props.rowHref });
  latest.current = { selected, actions: props.actions, rowHref: props.rowHref };
  const onContextMenu = useCallback((e: MouseEvent, row: T, index: number) => {
    if (!latest.current.actions?.length) return;
    e.preventDefault();
    setActive(index);
    if (!latest.current.selected.has(row.id)) setSelected(new Map([[row.id, row]]));
    setCtx({ x: e.clientX, y: e.clientY });
  }, []);
  const rowHref = useCallback((r: T) => latest.current.rowHref?.(r) ?? null, []);

  const selectedRows = [...selected.values()];
  const runAction = async (a: BulkAction<T>) => {
    setCtx(null);
    if (a.unavailable || !selectedRows.length) return;
    await a.run(
      selectedRows.map((r) => r.id),
      selectedRows,
    );
  };

  // CSV export: the selection when there is one, else every row matching the filters.
  const [exporting, setExporting] = useState(false);
  const exportCsv = async () => {
    setExporting(true);
    try {
      let data: T[] = selectedRows;
      if (!data.length) {
        data = [];
        const ctrl = new AbortController();
        for (let offset = 0; offset < 100_000; offset += 1000) {
          const p = await props.fetch({ ...params, limit: 1000, offset }, ctrl.signal);
          data.push(...p.results);
          if (offset + 1000 >= p.count) break;
        }
      }
      const header = shown.map((c) => c.header);
      const body = data.map((r) => shown.map((c) => (c.csv ? c.csv(r) : fieldOf(r, c.id))));
      download(`${props.id}-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '')}.csv`, toCsv(header, body));
    } finally {
      setExporting(false);
    }
  };

  const setFilter = useCallback(
    (name: string, value: string | null) =>
      setState((s) => {
        const f = { ...s.filters };
        if (value) f[name] = value;
        else delete f[name];
        return { ...s, filters: f, offset: 0 };
      }),
    [setState],
  );
  const activeFilters = Object.keys(state.filters).length + (state.q ? 1 : 0);

  const error = query.error as ApiError | null;

  return (
    <Stack gap={6} className="datatable" data-table={props.id}>
      {(props.title || props.toolbar || searchable || props.actions) && (
        <Group gap={6} wrap="nowrap" justify="space-between">
          <Group gap={6} wrap="nowrap">
            {props.title}
            {searchable && (
              <TextInput
                placeholder="Quick search"
                value={qInput}
                onChange={(e) => setQInput(e.currentTarget.value)}
                w={220}
                data-testid="quick-search"
                rightSection={query.isFetching ? <Loader size={12} /> : null}
              />
            )}
            {activeFilters > 0 && (
              <Button
                variant="subtle"
                color="gray"
                onClick={() => (setQInput(''), setState((s) => ({ ...s, q: '', filters: {}, offset: 0 })))}
              >
                Clear filters
              </Button>
            )}
          </Group>
          <Group gap={6} wrap="nowrap">
            {props.toolbar}
            {props.actions && props.actions.length > 0 && (
              <Menu position="bottom-end" withinPortal>
                <Menu.Target>
                  <Button variant="default" disabled={!selected.size} data-testid="actions-menu">
                    Actions{selected.size ? ` (${selected.size})` : ''} ▾
                  </Button>
                </Menu.Target>
                <Menu.Dropdown>
                  {props.actions.map((a) => (
                    <ActionItem key={a.label} action={a} onRun={() => runAction(a)} />
                  ))}
                </Menu.Dropdown>
              </Menu>
            )}
            <Tooltip label={selected.size ? 'Export the selected rows as CSV' : 'Export every matching row as CSV'}>
              <Button variant="default" onClick={exportCsv} loading={exporting} data-testid="export-csv">
                CSV
              </Button>
            </Tooltip>
            <ColumnChooser columns={columns} visible={visible} onChange={saveVisible} />
          </Group>
        </Group>
      )}
      {filters.length > 0 && <FilterBar filters={filters} values={state.filters} setFilter={setFilter} />}
      {error && (
        <Paper p="xs" withBorder className="error-box">
          <Text size="sm" c="red">
            {error.message}
          </Text>
          {error.fields?.map((f) => (
            <Text size="xs" c="red" key={f.field}>
              {f.field}: {f.message}
            </Text>
          ))}
        </Paper>
      )}
      <div
        className="table-wrap"
        tabIndex={0}
        onKeyDown={onKeyDown}
        data-testid={`table-${props.id}`}
        aria-label={`${props.id} table`}
      >
        <table className="dt">
          <thead>
            <tr>
              {selectable && (
                <th className="sel">
                  <input
                    type="checkbox"
                    className="row-check"
                    aria-label="Select page"
                    checked={allOnPage}
                    ref={(el) => {
                      if (el) el.indeterminate = !allOnPage && someOnPage;
                    }}
                    onChange={togglePage}
                  />
                </th>
              )}
              {shown.map((c) => {
                const dir = c.sort ? sortDir(c.sort) : null;
                return (
                  <th
                    key={c.id}
                    style={{ width: c.width, textAlign: c.align }}
                    className={c.sort ? 'sortable' : undefined}
                    onClick={c.sort ? (e) => onSort(c.sort!, e.shiftKey) : undefined}
                    aria-sort={dir === 'asc' ? 'ascending' : dir === 'desc' ? 'descending' : undefined}
                  >
                    {c.header}
                    {dir && <span className="sort-ind">{dir === 'asc' ? ' ▲' : ' ▼'}</span>}
                  </th>
                );
              })}
            </tr>
          </thead>
          <TableBody<T>
            bodyRef={bodyRef}
            rows={rows}
            shown={shown}
            selected={selected}
            active={active}
            selectable={selectable}
            stale={query.isPlaceholderData}
            loading={query.isLoading}
            emptyText={props.emptyText}
            rowHref={rowHref}
            toggle={toggle}
            setActive={setActive}
            onContextMenu={onContextMenu}
          />
        </table>
      </div>
      <Group justify="space-between" gap={6}>
        <Text size="xs" c="dimmed" data-testid="row-count">
          {count
            ? `${state.offset + 1}–${Math.min(state.offset + state.limit, count)} of ${count.toLocaleString()}`
            : '0 objects'}
          {selected.size ? ` · ${selected.size} selected` : ''}
        </Text>
        <Group gap={6}>
          {pages > 1 && (
            <Pagination size="xs" total={pages} value={page} onChange={goPage} siblings={1} boundaries={1} />
          )}
          <Select
            size="xs"
            w={80}
            data={PAGE_SIZES}
            value={String(state.limit)}
            onChange={(v) => v && setState((s) => ({ ...s, limit: Number(v), offset: 0 }))}
            aria-label="Rows per page"
            allowDeselect={false}
          />
        </Group>
      </Group>
      {ctx && props.actions && <ContextMenu at={ctx} count={selected.size} actions={props.actions} onRun={runAction} />}
    </Stack>
  );
}

interface BodyProps<T extends { id: number }> {
  bodyRef: React.RefObject<HTMLTableSectionElement | null>;
  rows: T[];
  shown: Column<T>[];
  selected: Map<number, T>;
  active: number;
  selectable: boolean;
  stale: boolean;
  loading: boolean;
  emptyText?: string;
  rowHref: (r: T) => string | null;
  toggle: (r: T) => void;
  setActive: (i: number) => void;
  onContextMenu: (e: MouseEvent, row: T, i: number) => void;
}

// Rows re-render only when their data, columns, selection or active row change (not on every
// keystroke in a filter or while a dropdown animates).
const TableBody = memo(function TableBody<T extends { id: number }>(p: BodyProps<T>) {
  return (
    <tbody ref={p.bodyRef} className={p.stale ? 'stale' : undefined}>
      {p.rows.map((row, i) => {
        const href = p.rowHref(row);
        return (
          <tr
            key={row.id ?? i}
            className={[i === p.active ? 'active' : '', p.selected.has(row.id) ? 'selected' : ''].join(' ')}
            onClick={(e) => {
              p.setActive(i);
              // Clicking the row (not a link or control inside it) opens the object.
              if (href && !(e.target as HTMLElement).closest('a,button,input,label')) navigate(href);
            }}
            onContextMenu={(e) => p.onContextMenu(e, row, i)}
            data-row-id={row.id}
            style={href ? { cursor: 'pointer' } : undefined}
          >
            {p.selectable && (
              <td className="sel" onClick={(e) => e.stopPropagation()}>
                <input
                  type="checkbox"
                  className="row-check"
                  aria-label={`Select row ${row.id}`}
                  checked={p.selected.has(row.id)}
                  onChange={() => p.toggle(row)}
                />
              </td>
            )}
            {p.shown.map((c) => (
              <td key={c.id} style={{ textAlign: c.align }}>
                {c.cell(row)}
              </td>
            ))}
          </tr>
        );
      })}
      {!p.rows.length && (
        <tr>
          <td colSpan={p.shown.length + (p.selectable ? 1 : 0)} className="empty">
            {p.loading ? 'Loading…' : (p.emptyText ?? 'No objects match.')}
          </td>
        </tr>
      )}
    </tbody>
  );
}) as <T extends { id: number }>(p: BodyProps<T>) => ReactNode;
