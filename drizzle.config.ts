import { defineConfig } from 'drizzle-kit';

// The embedded default project: the server manages this example app's database unless it is pointed at
// another project with --project / --config.
export default defineConfig({
  schema: './src/db/schema.ts',
  out: './drizzle',
  dialect: 'sqlite',
  dbCredentials: {
    url: './data/app.db',
  },
});
