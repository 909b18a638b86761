import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'sqlite',
  schema: './schemas/db.ts',
  out: './schemas/migrations',
});
