/**
 * A script that another thread or process runs (the kit worker, the query host): its file and the Node flags it
 * needs. Only the process edge knows where these are (src/bin/entry-points.ts); whoever starts one is handed it.
 */
export interface EntryPoint {
  /** Absolute file path of the entry script. */
  file: string;
  /** Node flags the entry needs (a TypeScript loader when running from source). */
  execArgv: string[];
}
