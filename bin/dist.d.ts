// Types of bin/dist.js (plain JavaScript so that the `peerdesk` launcher needs no type stripping).
export declare const STAMP: string;
export declare const BUILD_FORMAT: number;
/** Whether a path under src/ is part of the runtime (tests and test-only helpers are not compiled). */
export declare function isRuntimeSource(rel: string): boolean;
/** Every runtime source file under `srcDir` as [size, mtime ms], keyed by its forward-slash relative path. */
export declare function sourceStats(srcDir: string): Record<string, [number, number]>;
/** SHA-256 (hex) of a file's bytes. */
export declare function fileHash(file: string): Promise<string>;
/** Why `distDir` must not be run for the sources in `srcDir`, or null when it is fresh. */
export declare function staleReason(distDir: string, srcDir: string): Promise<string | null>;
