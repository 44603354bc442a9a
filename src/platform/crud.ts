// The shared REST machinery: one resource definition gives list/retrieve/create/update/delete,
// bulk variants, filters, search, ordering, ETags and the change log, the same for every object.
// Split by concept under crud/: types, filters (and stored-value helpers), list, write, cache, routes.
export type { Row, Query, RowOf, WriteContext, PresentOptions, Filter, Resource } from './crud/types.ts';
export { resourceQuery } from './crud/types.ts';
export {
  idFilter,
  textFilter,
  enumFilter,
  containsFilter,
  boolFilter,
  nullableIdFilter,
  bool,
  json,
} from './crud/filters.ts';
export { loadRow, listRows, type ListParams } from './crud/list.ts';
export { assertExists, assertUnique, missingReference, etagOf, createOne, updateOne, deleteOne } from './crud/write.ts';
export { ResponseCache } from './crud/cache.ts';
export { pageLinks, pageQuery, registerResource } from './crud/routes.ts';
