// Table filters: one control per API query parameter, and the table state kept in the address bar.
import { memo, useEffect, useState } from 'react';
import { Group, MultiSelect, Select, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import type { ResourcePath, ResourceTypes } from '../../api/client';
import { navigate } from '../../app/router';
import { RefMultiSelect, RefSelect, nameOrId, type RefOf } from '../RefSelect';

/** The referenced resource of a `ref` or `refmulti` filter; its label and key read that resource's objects. */
interface FilterRefOf<R extends ResourcePath> extends RefOf<R> {
  /** The filter's value of an object: its id unless the API filters by another key (a slug). */
  refValue?: (row: ResourceTypes[R]) => string;
}
type FilterRef<K extends ResourcePath = ResourcePath> = { [R in K]: FilterRefOf<R> }[K];

/** One filter control, mapped to an API query parameter. */
export type FilterDef = {
  name: string;
  label: string;
  kind: 'text' | 'select' | 'multi' | 'ref' | 'refmulti' | 'bool';
  options?: { value: string; label: string }[];
  width?: number;
} & (FilterRef | { ref?: undefined; refLabel?: undefined; refValue?: undefined });

/** Search, ordering, page and filters of a table. */
export interface TableState {
  q: string;
  ordering: string;
  offset: number;
  limit: number;
  filters: Record<string, string>;
}

/** The table state of a main list from the address bar (filters it does not define are ignored). */
export function readUrlState(search: URLSearchParams, filters: FilterDef[], defaults: TableState): TableState {
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

/** Puts the table state in the address bar (defaults left out), without a history entry. */
export function writeUrlState(path: string, s: TableState, defaults: TableState) {
  const p = new URLSearchParams();
  if (s.q) p.set('q', s.q);
  if (s.ordering && s.ordering !== defaults.ordering) p.set('ordering', s.ordering);
  if (s.offset) p.set('offset', String(s.offset));
  if (s.limit !== defaults.limit) p.set('limit', String(s.limit));
  for (const [k, v] of Object.entries(s.filters)) if (v) p.set(k, v);
  const qs = p.toString();
  navigate(qs ? `${path}?${qs}` : path, { replace: true, silent: true });
}

/** The row of filter controls above a table. */
export const FilterBar = memo(function FilterBar({
  filters,
  values,
  setFilter,
}: {
  filters: FilterDef[];
  values: Record<string, string>;
  setFilter: (name: string, v: string | null) => void;
}) {
  return (
    <Group gap={6} align="flex-end" className="filters">
      {filters.map((f) => (
        <FilterControl key={f.name} def={f} value={values[f.name] ?? ''} onChange={(v) => setFilter(f.name, v)} />
      ))}
    </Group>
  );
});

function FilterControl({
  def,
  value,
  onChange,
}: {
  def: FilterDef;
  value: string;
  onChange: (v: string | null) => void;
}) {
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
      return (
        <TextInput
          label={def.label}
          value={text}
          onChange={(e) => setText(e.currentTarget.value)}
          w={w}
          data-testid={testid}
        />
      );
    case 'select':
    case 'bool':
      return (
        <Select
          label={def.label}
          data={
            def.kind === 'bool'
              ? [
                  { value: 'true', label: 'Yes' },
                  { value: 'false', label: 'No' },
                ]
              : (def.options ?? [])
          }
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
    case 'refmulti':
      return def.ref ? (
        <RefFilter
          refs={def}
          multi={def.kind === 'refmulti'}
          label={def.label}
          value={value}
          onChange={onChange}
          w={w}
          testid={testid}
        />
      ) : null;
  }
}

/** A reference filter: one object (`ref`) or several (`refmulti`, values joined by commas). */
function RefFilter<K extends ResourcePath>({
  refs,
  multi,
  label,
  value,
  onChange,
  w,
  testid,
}: {
  refs: FilterRef<K>;
  multi: boolean;
  label: string;
  value: string;
  onChange: (v: string | null) => void;
  w: number;
  testid: string;
}) {
  return multi ? (
    <RefMultiSelect
      label={label}
      res={refs.ref}
      labelOf={refs.refLabel ?? nameOrId}
      optionValue={refs.refValue}
      value={value ? value.split(',') : []}
      onChange={(v) => onChange(v.join(',') || null)}
      w={w}
      placeholder="Any"
      data-testid={testid}
    />
  ) : (
    <RefSelect
      label={label}
      res={refs.ref}
      labelOf={refs.refLabel ?? nameOrId}
      optionValue={refs.refValue}
      value={value || null}
      onChange={(v) => onChange(v)}
      w={w}
      placeholder="Any"
      data-testid={testid}
    />
  );
}
