/**
 * Runs the parsed program and turns whatever it throws into one line on stderr and the exit code of the
 * convention (docs/cli.md): 0 success, 1 failure, 2 usage error.
 */
import { CommanderError } from 'commander';
import type { Command } from './commander.js';

export async function runProgram(program: Command): Promise<void> {
  try {
    await program.parseAsync();
  } catch (e) {
    // commander has printed its own message (and the help hint) already.
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? 0 : 2;
      return;
    }
    const { describeError } = await import('./errors.js');
    const { message, exitCode } = describeError(e);
    process.stderr.write(`prag: ${message}\n`);
    process.exitCode = exitCode;
  }
}
