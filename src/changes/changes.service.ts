// The change log lives in the platform layer (src/platform/change-log.ts) so that the write path does not
// import a domain; this module keeps the domain's import path.
export { recordChange, type Actor } from '../platform/change-log.ts';
