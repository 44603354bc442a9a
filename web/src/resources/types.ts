// The shape of a per-resource config: one small object drives list, detail and form screens. A config
// is typed by its resource's API schema (`ResourceConfig<Schemas['Fabric']>`), so its cells, labels
// and panels read the fields the API presents.
import type { ReactNode } from 'react';
import type { ListParams, ResourcePath } from '../api/client';
import type { Column, FilterDef } from '../components/DataTable';
import type { AnyRef } from '../components/RefSelect';

/**
 * An object as the generic screens see it: an id and fields they read by name only. Every resource's
 * schema type is one (`Schemas['Fabric']` fits).
 */
export type Presented = { id: number } & Record<string, unknown>;

/** The values of a form being filled in: text, or a checkbox's state, by field name. */
export type FormValues = Record<string, string | boolean>;

/**
 * A callback of a row, bivariant in its argument (like a method): a config typed by its schema still
 * fits the generic screens, which hold every config as `ResourceConfig` (of `Presented`).
 */
type OfRow<T, R> = { bivarianceHack(row: T): R }['bivarianceHack'];

/** One form field, validated in the browser the way the API validates it. */
export type FieldSpec<T extends Presented = Presented> = FieldBase<T> &
  (AnyRef | { ref?: undefined; refLabel?: undefined });

/** What every form field has; a `ref` field adds its resource and an optional label of its objects. */
interface FieldBase<T extends Presented> {
  name: string;
  label: string;
  kind:
    | 'text'
    | 'textarea'
    | 'int'
    | 'asn'
    | 'ip'
    | 'prefix'
    | 'bool'
    | 'select'
    | 'ref'
    | 'color'
    | 'password'
    | 'json'
    | 'slug'
    | 'asset';
  required?: boolean;
  options?: { value: string; label: string }[];
  /** Filters of the referenced resource's options, from the form's other values. */
  refQuery?: (values: FormValues) => ListParams | undefined;
  help?: string;
  min?: number;
  max?: number;
  /** Only when creating (e.g. the parent of a child object). */
  createOnly?: boolean;
  /** Value sent for an empty input: null for nullable fields, omitted otherwise. */
  emptyAs?: 'null' | 'omit';
  /** Reads the editable value from a presented object (defaults to the field, or its id). */
  get?: OfRow<T, unknown>;
  span?: 1 | 2;
}

/** A table of related objects on a detail page. */
export interface Related {
  title: string;
  res: ResourcePath;
  fixed: ListParams;
  /** Column ids of the related resource's list to show (its defaults when omitted). */
  columns?: string[];
  /** Query string for "Add" prefilled with this parent. */
  addQuery?: string;
}

export interface ResourceConfig<T extends Presented = Presented> {
  path: ResourcePath;
  title: string;
  singular: string;
  columns: Column<T>[];
  filters: FilterDef[];
  defaultOrdering?: string;
  fields: FieldSpec<T>[];
  label: OfRow<T, string>;
  /** Custom renderers of detail fields (badges, links). */
  show?: { [K in keyof T & string]?: OfRow<T, ReactNode> };
  /** Fields to leave off the detail page (secrets placeholders, internals). */
  hideOnDetail?: (keyof T & string)[];
  related?: OfRow<T, Related[]>;
  /** Extra panels on the detail page (state summary, PeeringDB data…). */
  panels?: OfRow<T, ReactNode>;
}

/** Declares a resource config typed by its schema (`defineConfig<Schemas['Fabric']>({…})`). */
export function defineConfig<T extends Presented>(config: ResourceConfig<T>): ResourceConfig<T> {
  return config;
}
