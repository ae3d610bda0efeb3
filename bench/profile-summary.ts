// `node --import tsx bench/profile-summary.ts FILE.cpuprofile [--top N]`: where the CPU of a profiled server went,
// as self time per function and per bucket (zod, the MCP SDK, SQLite, the audit log, stdout, GC, …), idle
// excluded. Made for profiles from `BENCH_PROFILE=<dir> npm run bench -- --scenarios point-query --contenders ours`.
import fs from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** First matching rule wins; rules look at the function name and the source file (bundles keep sourcemap-less paths). */
const BUCKETS: Array<[string, (fn: string, url: string) => boolean]> = [
  ['(idle)', (fn) => fn === '(idle)'],
  ['(garbage collector)', (fn) => fn === '(garbage collector)'],
  ['(program)', (fn) => fn === '(program)'],
  [
    'sqlite (better-sqlite3 native)',
    (fn, url) =>
      url === '' &&
      /^(all|get|run|iterate|prepare|raw|pluck|columns|exec|transaction|Statement|Database)$/.test(fn),
  ],
  [
    'stdout / stream writes',
    (fn) =>
      /^(writeUtf8String|writev|writeGeneric|writeBuffer|_write|write|doWrite|writeOrBuffer|onwrite|afterWriteDispatched|handleWriteReq)$/.test(
        fn,
      ),
  ],
  ['JSON', (fn) => /^(stringify|parse)$/.test(fn)],
  ['crypto (sha256)', (fn) => /^(digest|update|createHash|Hash)$/.test(fn)],
  ['node internals', (_fn, url) => url.startsWith('node:')],
  ['other native', (_fn, url) => url === ''],
];

function bucketOf(fn: string, url: string): string {
  for (const [name, test] of BUCKETS) if (test(fn, url)) return name;
  return 'js: ' + (url.split('/').slice(-2).join('/') || '?');
}

function main(): void {
  const args = process.argv.slice(2);
  const file = args.find((a) => !a.startsWith('--'));
  const topIndex = args.indexOf('--top');
  const top = topIndex >= 0 ? Number(args[topIndex + 1]) : 30;
  if (!file) {
    process.stderr.write('usage: profile-summary FILE.cpuprofile [--top N]\n');
    process.exit(2);
  }
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const perFunction = new Map<string, number>();
  const perBucket = new Map<string, number>();
  let busy = 0;
  for (const [id, micros] of self) {
    const node = byId.get(id)!;
    const { functionName, url, lineNumber } = node.callFrame;
    const fn = functionName || '(anonymous)';
    const bucket = bucketOf(fn, url);
    if (bucket !== '(idle)') busy += micros;
    perBucket.set(bucket, (perBucket.get(bucket) ?? 0) + micros);
    const key = `${fn}  ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
    perFunction.set(key, (perFunction.get(key) ?? 0) + micros);
  }
  const pct = (micros: number) => `${((micros / busy) * 100).toFixed(1).padStart(5)} %`;
  process.stdout.write(
    `busy CPU: ${(busy / 1000).toFixed(0)} ms (idle excluded)\n\nby bucket (self time):\n`,
  );
  for (const [name, micros] of [...perBucket]
    .filter(([n]) => n !== '(idle)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)) {
    process.stdout.write(`  ${pct(micros)}  ${name}\n`);
  }
  process.stdout.write(`\ntop functions (self time):\n`);
  for (const [name, micros] of [...perFunction]
    .filter(([n]) => !n.startsWith('(idle)'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)) {
    process.stdout.write(`  ${pct(micros)}  ${name}\n`);
  }
}

main();
