// The shape of a per-resource config: one small object drives list, detail and form screens.
import type { ReactNode } from 'react';
import type { ListParams, ResourcePath, Row } from '../api/client';
import type { Column, FilterDef } from '../components/DataTable';

/** One form field, validated in the browser the way the API validates it. */
export interface FieldSpec {
  name: string;
  label: string;
  kind: 'text' | 'textarea' | 'int' | 'asn' | 'ip' | 'prefix' | 'bool' | 'select' | 'ref' | 'color' | 'password' | 'json' | 'slug' | 'asset';
  required?: boolean;
  options?: { value: string; label: string }[];
  ref?: ResourcePath;
  refLabel?: (row: Row) => string;
  refQuery?: (values: Row) => ListParams | undefined;
  help?: string;
  min?: number;
  max?: number;
  /** Only when creating (e.g. the parent of a child object). */
  createOnly?: boolean;
  /** Value sent for an empty input: null for nullable fields, omitted otherwise. */
  emptyAs?: 'null' | 'omit';
  /** Reads the editable value from a presented object (defaults to the field, or its id). */
  get?: (row: Row) => unknown;
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

export interface ResourceConfig {
  path: ResourcePath;
  title: string;
  singular: string;
  columns: Column[];
  filters: FilterDef[];
  defaultOrdering?: string;
  fields: FieldSpec[];
  label: (row: Row) => string;
  /** Custom renderers of detail fields (badges, links). */
  show?: Record<string, (row: Row) => ReactNode>;
  /** Fields to leave off the detail page (secrets placeholders, internals). */
  hideOnDetail?: string[];
  related?: (row: Row) => Related[];
  /** Extra panels on the detail page (state summary, PeeringDB data…). */
  panels?: (row: Row) => ReactNode;
}
