// The one list component: server paging, sorting and filters, quick search, column chooser
// (remembered), row selection with bulk actions (menu and right-click), CSV export, keyboard navigation.
import { memo, useCallback, useEffect, useMemo, useRef, useState, type ReactNode, type KeyboardEvent, type MouseEvent } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { ActionIcon, Button, Checkbox, Group, Loader, Menu, MultiSelect, Pagination, Paper, Popover, Select, Stack, Text, TextInput, Tooltip } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import type { ListParams, Page, ResourcePath, Row } from '../api/client';
import { ApiError } from '../api/client';
import { navigate, useLocation } from '../app/router';
import { RefMultiSelect, RefSelect } from './RefSelect';
import { download, toCsv } from './format';

/** One column: how to show a cell, how to export it, which ordering sorts it. */
export interface Column {
  id: string;
  header: string;
  cell: (row: Row) => ReactNode;
  /** CSV value; defaults to the row's field of the same id. */
  csv?: (row: Row) => unknown;
  /** Ordering name understood by the API. */
  sort?: string;
  /** Hidden until the user picks it in the column chooser. */
  hidden?: boolean;
  width?: number | string;
  align?: 'right' | 'left';
}

/** One filter control, mapped to an API query parameter. */
export interface FilterDef {
  name: string;
  label: string;
  kind: 'text' | 'select' | 'multi' | 'ref' | 'refmulti' | 'bool';
  options?: { value: string; label: string }[];
  ref?: ResourcePath;
  refLabel?: (row: Row) => string;
  refValue?: (row: Row) => string;
  width?: number;
}

/** An action on the selected rows (Actions menu and right-click menu). */
export interface BulkAction {
  label: string;
  color?: string;
  /** When set, the action is shown disabled with this explanation. */
  unavailable?: string | null;
  tooltip?: string;
  run: (ids: number[], rows: Row[]) => void | Promise<void>;
}

export interface DataTableProps {
  /** Key for remembered columns and for tests. */
  id: string;
  queryKey: unknown[];
  fetch: (params: ListParams, signal: AbortSignal) => Promise<Page>;
  columns: Column[];
  filters?: FilterDef[];
  /** Fixed filters (related tables on a detail page). */
  fixed?: ListParams;
  defaultOrdering?: string;
  actions?: BulkAction[];
  toolbar?: ReactNode;
  title?: ReactNode;
  rowHref?: (row: Row) => string | null;
  selectable?: boolean;
  searchable?: boolean;
  pageSize?: number;
  /** Keep search, filters, ordering and page in the address bar (main lists). */
  urlState?: boolean;
  refetchInterval?: number | false;
  /** Called with each fetched page (e.g. to merge live updates). */
  onPage?: (page: Page) => void;
  emptyText?: string;
}

interface TableState {
  q: string;
  ordering: string;
  offset: number;
  limit: number;
  filters: Record<string, string>;
}

const PAGE_SIZES = ['25', '50', '100', '250', '500'];

function readUrlState(search: URLSearchParams, filters: FilterDef[], defaults: TableState): TableState {
  const f: Record<string, string> = {};
  for (const d of filters) {
    const v = search.get(d.name);
    if (v) f[d.name] = v;
  }
  return {
    q: search.get('q') ?? '',
    ordering: search.get('ordering') ?? defaults.ordering,
    offset: Number(search.get('offset') ?? 0) || 0,
    limit: Number(search.get('limit') ?? defaults.limit) || defaults.limit,
    filters: f,
  };
}

function writeUrlState(path: string, s: TableState, defaults: TableState) {
  const p = new URLSearchParams();
  if (s.q) p.set('q', s.q);
  if (s.ordering && s.ordering !== defaults.ordering) p.set('ordering', s.ordering);
  if (s.offset) p.set('offset', String(s.offset));
  if (s.limit !== defaults.limit) p.set('limit', String(s.limit));
  for (const [k, v] of Object.entries(s.filters)) if (v) p.set(k, v);
  const qs = p.toString();
  navigate(qs ? `${path}?${qs}` : path, { replace: true, silent: true });
}

function loadColumns(id: string, columns: Column[]): string[] {
  try {
    const saved = JSON.parse(localStorage.getItem(`peerdesk.columns.${id}`) ?? 'null');
    if (Array.isArray(saved)) return saved.filter((c) => columns.some((col) => col.id === c));
  } catch {
    /* ignore a corrupt entry */
  }
  return columns.filter((c) => !c.hidden).map((c) => c.id);
}

/** Server-driven data table. */
export function DataTable(props: DataTableProps) {
  const { columns, filters = [], selectable = true, searchable = true } = props;
  const loc = useLocation();
  const defaults: TableState = { q: '', ordering: props.defaultOrdering ?? '', offset: 0, limit: props.pageSize ?? 50, filters: {} };
  const [state, setStateRaw] = useState<TableState>(() => (props.urlState ? readUrlState(loc.search, filters, defaults) : defaults));
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
    localStorage.setItem(`peerdesk.columns.${props.id}`, JSON.stringify(ids));
  };

  const params: ListParams = useMemo(
    () => ({ limit: state.limit, offset: state.offset, q: state.q || undefined, ordering: state.ordering || undefined, ...state.filters, ...props.fixed }),
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
  const [selected, setSelected] = useState<Map<number, Row>>(new Map());
  const filterKey = JSON.stringify([state.q, state.filters, props.fixed]);
  useEffect(() => setSelected((m) => (m.size ? new Map() : m)), [filterKey]);
  const toggle = useCallback(
    (row: Row) =>
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
  // Keep remembered selected rows current when the page refreshes (e.g. after Admin Down).
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

  // Right-click menu.
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
  const latest = useRef({ selected, actions: props.actions, rowHref: props.rowHref });
  latest.current = { selected, actions: props.actions, rowHref: props.rowHref };
  const onContextMenu = useCallback((e: MouseEvent, row: Row, index: number) => {
    if (!latest.current.actions?.length) return;
    e.preventDefault();
    setActive(index);
    if (!latest.current.selected.has(row.id)) setSelected(new Map([[row.id, row]]));
    setCtx({ x: e.clientX, y: e.clientY });
  }, []);
  const rowHref = useCallback((r: Row) => latest.current.rowHref?.(r) ?? null, []);

  const selectedRows = [...selected.values()];
  const runAction = async (a: BulkAction) => {
    setCtx(null);
    if (a.unavailable || !selectedRows.length) return;
    await a.run(selectedRows.map((r) => r.id), selectedRows);
  };

  // CSV export: the selection when there is one, else every row matching the filters.
  const [exporting, setExporting] = useState(false);
  const exportCsv = async () => {
    setExporting(true);
    try {
      let data: Row[] = selectedRows;
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
      const body = data.map((r) => shown.map((c) => (c.csv ? c.csv(r) : r[c.id])));
      download(`${props.id}-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '')}.csv`, toCsv(header, body));
    } finally {
      setExporting(false);
    }
  };

  const setFilter = useCallback((name: string, value: string | null) =>
    setState((s) => {
      const f = { ...s.filters };
      if (value) f[name] = value;
      else delete f[name];
      return { ...s, filters: f, offset: 0 };
    }), [setState]);
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
              <Button variant="subtle" color="gray" onClick={() => (setQInput(''), setState((s) => ({ ...s, q: '', filters: {}, offset: 0 })))}>
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
      <div className="table-wrap" tabIndex={0} onKeyDown={onKeyDown} data-testid={`table-${props.id}`} aria-label={`${props.id} table`}>
        <table className="dt">
          <thead>
            <tr>
              {selectable && (
                <th className="sel">
                  <input type="checkbox" className="row-check" aria-label="Select page" checked={allOnPage} ref={(el) => { if (el) el.indeterminate = !allOnPage && someOnPage; }} onChange={togglePage} />
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
          <TableBody
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
          {count ? `${state.offset + 1}–${Math.min(state.offset + state.limit, count)} of ${count.toLocaleString()}` : '0 objects'}
          {selected.size ? ` · ${selected.size} selected` : ''}
        </Text>
        <Group gap={6}>
          {pages > 1 && <Pagination size="xs" total={pages} value={page} onChange={goPage} siblings={1} boundaries={1} />}
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
      {ctx && props.actions && (
        <Paper shadow="md" withBorder className="context-menu" style={{ left: ctx.x, top: ctx.y }} role="menu" data-testid="context-menu" onClick={(e) => e.stopPropagation()}>
          <div className="cm-title">{selected.size} selected</div>
          {props.actions.map((a) => (
            <button key={a.label} className="cm-item" disabled={Boolean(a.unavailable)} title={a.unavailable ?? a.tooltip} onClick={() => runAction(a)} style={a.color ? { color: `var(--mantine-color-${a.color}-6)` } : undefined}>
              {a.label}
            </button>
          ))}
        </Paper>
      )}
    </Stack>
  );
}

const FilterBar = memo(function FilterBar({ filters, values, setFilter }: { filters: FilterDef[]; values: Record<string, string>; setFilter: (name: string, v: string | null) => void }) {
  return (
    <Group gap={6} align="flex-end" className="filters">
      {filters.map((f) => (
        <FilterControl key={f.name} def={f} value={values[f.name] ?? ''} onChange={(v) => setFilter(f.name, v)} />
      ))}
    </Group>
  );
});

interface BodyProps {
  bodyRef: React.RefObject<HTMLTableSectionElement | null>;
  rows: Row[];
  shown: Column[];
  selected: Map<number, Row>;
  active: number;
  selectable: boolean;
  stale: boolean;
  loading: boolean;
  emptyText?: string;
  rowHref: (r: Row) => string | null;
  toggle: (r: Row) => void;
  setActive: (i: number) => void;
  onContextMenu: (e: MouseEvent, row: Row, i: number) => void;
}

// Rows re-render only when their data, columns, selection or active row change (not on every
// keystroke in a filter or while a dropdown animates).
const TableBody = memo(function TableBody(p: BodyProps) {
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
                <input type="checkbox" className="row-check" aria-label={`Select row ${row.id}`} checked={p.selected.has(row.id)} onChange={() => p.toggle(row)} />
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
});

function ActionItem({ action, onRun }: { action: BulkAction; onRun: () => void }) {
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

function ColumnChooser({ columns, visible, onChange }: { columns: Column[]; visible: string[]; onChange: (ids: string[]) => void }) {
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
              onChange={(e) => onChange(e.currentTarget.checked ? columns.filter((x) => x.id === c.id || visible.includes(x.id)).map((x) => x.id) : visible.filter((v) => v !== c.id))}
            />
          ))}
          <Button variant="subtle" size="compact-xs" onClick={() => onChange(columns.filter((c) => !c.hidden).map((c) => c.id))}>
            Reset
          </Button>
        </Stack>
      </Popover.Dropdown>
    </Popover>
  );
}

function FilterControl({ def, value, onChange }: { def: FilterDef; value: string; onChange: (v: string | null) => void }) {
  const w = def.width ?? 160;
  const [text, setText] = useState(value);
  const [debounced] = useDebouncedValue(text, 300);
  useEffect(() => setText(value), [value]);
  useEffect(() => {
    if (def.kind === 'text' && debounced !== value) onChange(debounced || null);
  }, [debounced]);
  const testid = `filter-${def.name}`;
  switch (def.kind) {
    case 'text':
      return <TextInput label={def.label} value={text} onChange={(e) => setText(e.currentTarget.value)} w={w} data-testid={testid} />;
    case 'select':
    case 'bool':
      return (
        <Select
          label={def.label}
          data={def.kind === 'bool' ? [{ value: 'true', label: 'Yes' }, { value: 'false', label: 'No' }] : def.options ?? []}
          value={value || null}
          onChange={onChange}
          clearable
          w={w}
          data-testid={testid}
          placeholder="Any"
        />
      );
    case 'multi':
      return (
        <MultiSelect
          label={def.label}
          data={def.options ?? []}
          value={value ? value.split(',') : []}
          onChange={(v) => onChange(v.join(',') || null)}
          clearable
          w={w}
          data-testid={testid}
          placeholder={value ? undefined : 'Any'}
        />
      );
    case 'ref':
      return <RefSelect label={def.label} res={def.ref!} labelOf={def.refLabel ?? ((r) => r.name)} optionValue={def.refValue} value={value || null} onChange={(v) => onChange(v)} w={w} placeholder="Any" data-testid={testid} />;
    case 'refmulti':
      return (
        <RefMultiSelect
          label={def.label}
          res={def.ref!}
          labelOf={def.refLabel ?? ((r) => r.name)}
          optionValue={def.refValue}
          value={value ? value.split(',') : []}
          onChange={(v) => onChange(v.join(',') || null)}
          w={w}
          placeholder="Any"
          data-testid={testid}
        />
      );
  }
}
