// A searchable select over another resource, searched on the server as the user types.
import { useEffect, useMemo, useState } from 'react';
import { Select, MultiSelect } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import { getResource, listResource, type ListParams, type ResourcePath, type ResourceTypes } from '../api/client';

/** A reference to one resource's objects, labelled by a function of that resource's (typed) object. */
export interface RefOf<R extends ResourcePath> {
  ref: R;
  /** Label of an object of the referenced resource. */
  refLabel?: (row: ResourceTypes[R]) => string;
}
/** A reference to any resource, its label typed by the resource it names (`ref: 'routers'` → a router). */
export type AnyRef<K extends ResourcePath = ResourcePath> = { [R in K]: RefOf<R> }[K];

/** The name of an object, or `#id` for one without a name (the default option label). */
export const nameOrId = (row: { id: number }): string =>
  'name' in row && typeof row.name === 'string' ? row.name : `#${row.id}`;

export interface RefSelectProps<R extends ResourcePath> {
  res: R;
  value: string | null;
  onChange: (value: string | null, row: ResourceTypes[R] | null) => void;
  labelOf: (row: ResourceTypes[R]) => string;
  /** Option value of a row; the id unless the filter takes another key (e.g. a slug). */
  optionValue?: (row: ResourceTypes[R]) => string;
  query?: ListParams;
  label?: string;
  placeholder?: string;
  error?: string | null;
  required?: boolean;
  clearable?: boolean;
  disabled?: boolean;
  description?: string;
  w?: number | string;
  'data-testid'?: string;
}

/** The id as option value (the default). */
const idValue = (r: { id: number }) => String(r.id);

/** Single-choice reference field. */
export function RefSelect<R extends ResourcePath>(p: RefSelectProps<R>) {
  const [search, setSearch] = useState('');
  const [opened, setOpened] = useState(false);
  const [debounced] = useDebouncedValue(search, 200);
  const optionValue = p.optionValue ?? idValue;
  // Options load when the dropdown first opens (or to label a chosen slug): a page full of filter
  // controls must not delay the table's own request.
  const [wanted, setWanted] = useState(Boolean(p.optionValue && p.value));
  const list = useQuery({
    queryKey: ['ref', p.res, debounced, p.query],
    queryFn: ({ signal }) => listResource(p.res, { limit: 50, q: debounced || undefined, ...p.query }, signal),
    staleTime: 30_000,
    enabled: wanted || opened,
  });
  // The current value may not be on the first page: load it by id to show its label.
  const byId = !p.optionValue && p.value && /^\d+$/.test(p.value);
  const current = useQuery({
    queryKey: ['ref-one', p.res, p.value],
    queryFn: async () => (await getResource(p.res, Number(p.value))).row,
    enabled: Boolean(byId),
    staleTime: 60_000,
  });
  const rows = list.data?.results ?? [];
  const data = useMemo(() => {
    const opts = rows.map((r) => ({ value: optionValue(r), label: p.labelOf(r) }));
    if (current.data && !opts.some((o) => o.value === p.value))
      opts.unshift({ value: optionValue(current.data), label: p.labelOf(current.data) });
    const seen = new Set<string>();
    return opts.filter((o) => (seen.has(o.value) ? false : (seen.add(o.value), true)));
  }, [rows, current.data, p.value]);
  const selectedLabel = data.find((o) => o.value === p.value)?.label;
  useEffect(() => {
    // Show the chosen label in the input rather than the last search text.
    if (selectedLabel !== undefined) setSearch(selectedLabel);
  }, [selectedLabel]);
  return (
    <Select
      label={p.label}
      placeholder={p.placeholder ?? 'Search…'}
      data={data}
      value={p.value}
      searchable
      searchValue={search}
      onSearchChange={setSearch}
      filter={({ options }) => options}
      nothingFoundMessage={list.isFetching ? 'Loading…' : 'Nothing found'}
      onChange={(v) =>
        p.onChange(
          v,
          rows.find((r) => optionValue(r) === v) ??
            (current.data && optionValue(current.data) === v ? current.data : null),
        )
      }
      clearable={p.clearable ?? !p.required}
      error={p.error}
      required={p.required}
      disabled={p.disabled}
      description={p.description}
      w={p.w}
      data-testid={p['data-testid']}
      comboboxProps={{ withinPortal: true }}
      onDropdownOpen={() => (setOpened(true), setWanted(true))}
      onDropdownClose={() => setOpened(false)}
    />
  );
}

/** Multi-choice reference filter (small resources: all options loaded). */
export function RefMultiSelect<R extends ResourcePath>(
  p: Omit<RefSelectProps<R>, 'value' | 'onChange'> & { value: string[]; onChange: (v: string[]) => void },
) {
  const optionValue = p.optionValue ?? idValue;
  const [wanted, setWanted] = useState(p.value.length > 0);
  const list = useQuery({
    queryKey: ['ref', p.res, 'all', p.query],
    queryFn: ({ signal }) => listResource(p.res, { limit: 500, ...p.query }, signal),
    staleTime: 30_000,
    enabled: wanted,
  });
  // Until options load, chosen values show as themselves rather than vanishing.
  const data = list.data
    ? list.data.results.map((r) => ({ value: optionValue(r), label: p.labelOf(r) }))
    : p.value.map((v) => ({ value: v, label: v }));
  return (
    <MultiSelect
      label={p.label}
      placeholder={p.value.length ? undefined : p.placeholder}
      data={data}
      value={p.value}
      onChange={p.onChange}
      searchable
      clearable
      w={p.w}
      data-testid={p['data-testid']}
      onDropdownOpen={() => setWanted(true)}
      nothingFoundMessage={list.isFetching ? 'Loading…' : 'Nothing found'}
    />
  );
}
