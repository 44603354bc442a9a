// The data table, split by concept under ./table/ (columns, filters, selection, the table itself).
export { DataTable, type DataTableProps } from './table/table';
export { ColumnChooser, type Column } from './table/columns';
export { FilterBar, type FilterDef } from './table/filters';
export { type BulkAction } from './table/selection';
