/**
 * Commander with the types of @commander-js/extra-typings: option and argument
 * types are inferred from their declarations, so action handlers receive typed
 * option objects instead of `any`.
 *
 * The classes are commander's own: extra-typings re-exports them unchanged at
 * run time and only adds types. Importing only its types (erased at build)
 * keeps it a dev dependency, so the production image (`npm prune --omit=dev`)
 * needs nothing but commander. Keep the two packages on the same major.
 */
import type * as typed from '@commander-js/extra-typings';
import * as commander from 'commander';

// commander's Command is not generic, so TypeScript cannot check it against the generic one: asserted.
export const Command = commander.Command as unknown as typeof typed.Command;
export type Command<
  Args extends unknown[] = [],
  // The same defaults as extra-typings' own Command (an empty options object).
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  Opts extends typed.OptionValues = {},
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  GlobalOpts extends typed.OptionValues = {},
> = typed.Command<Args, Opts, GlobalOpts>;

export const Option: typeof typed.Option = commander.Option;

export const InvalidArgumentError: typeof typed.InvalidArgumentError = commander.InvalidArgumentError;
