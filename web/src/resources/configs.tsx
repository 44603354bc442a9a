// The resource configs moved to one file per resource (<resource>.config.tsx, gathered in ./index);
// this path re-exports them for the pages that import it.
export { CONFIGS, ObjLink, REF_TARGET, entriesToText, sessionColumns, textToEntries } from './index';
