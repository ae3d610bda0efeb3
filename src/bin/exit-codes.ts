// The process's exit codes, shared by the edge (a command line it cannot parse) and the CLI commands: 0 ok · 1 the
// tool failed (or the project could not be opened) · 2 usage error (nothing ran, nothing was audited) · 3 a guard
// refused the call.
export const EXIT = { ok: 0, failed: 1, usage: 2, refused: 3 } as const;
