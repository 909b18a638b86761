// Worker entry when PRAG runs from TypeScript sources: installs tsx's loader in this thread, then loads the worker.
import { register } from 'tsx/esm/api';

register();
await import('./parse-worker.ts');
