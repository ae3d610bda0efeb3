// Child process for the first-start kill -9 test: opens the services of a project exactly as the server does
// (database created, pending migrations applied and audited), printing READY right before and DONE after, and
// MIGRATING / MIGRATED around the start-up migration itself, so a test can tell a kill inside the migration from
// one that struck while the project was still loading.
import { loadConfig } from '../../src/core/config.js';
import { createLogger } from '../../src/core/logger.js';
import { openServices } from '../../src/app/services.js';
import { migrateOnStart } from '../../src/app/startup.js';
import { entryPoints } from '../../src/bin/entry-points.js';

const [projectDir] = process.argv.slice(2) as [string];
const { config } = loadConfig({
  argv: ['--project', projectDir, '--log-level', 'silent'],
  env: {},
  cwd: projectDir,
  defaultProjectDir: projectDir,
});
const logger = createLogger('silent');
process.stdout.write('READY\n');
const services = await openServices(config, logger, {
  entries: entryPoints(),
  async migrateOnStart(context) {
    process.stdout.write('MIGRATING\n');
    await migrateOnStart(context);
    process.stdout.write('MIGRATED\n');
  },
});
process.stdout.write('DONE\n');
await services.close();
