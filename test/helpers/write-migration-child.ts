// Child process for the cross-process writer test: writes <count> custom-style migrations into <outDir>, each
// computed from the latest snapshot while holding the folder lock (with a pause, to widen the race).
import { randomUUID } from 'node:crypto';
import { writeMigrationFrom } from '../../src/migrations/write.js';

const [outDir, label, count] = process.argv.slice(2) as [string, string, string];
for (let i = 0; i < Number(count); i++) {
  await writeMigrationFrom(outDir, async (previous) => {
    await new Promise((resolve) => setTimeout(resolve, 20));
    const snapshot = { ...previous.snapshot, id: randomUUID(), prevId: previous.prevId };
    return { name: `${label}_${i}`, statements: [`CREATE TABLE ${label}_${i} (x);`], snapshot };
  });
}
process.stdout.write('DONE\n');
