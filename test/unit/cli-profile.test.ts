/** Client settings from the environment: a value that is not a clear yes never accepts dev evidence. */
import { afterEach, describe, expect, test } from 'vitest';
import { serviceSettings } from '../../src/cli/profile.js';

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

const settingsWith = (value: string) => {
  // No config file there: only the environment speaks.
  process.env = {
    ...saved,
    XDG_CONFIG_HOME: '/nonexistent/prag-test',
    PRAG_URL: 'https://prag.test',
    PRAG_ALLOW_INSECURE_DEV: value,
  };
  return serviceSettings({});
};

describe('PRAG_ALLOW_INSECURE_DEV', () => {
  test('1 accepts dev evidence; 0 and false refuse it', () => {
    expect(settingsWith('1').allowInsecureDev).toBe(true);
    expect(settingsWith('0').allowInsecureDev).toBe(false);
    expect(settingsWith('false').allowInsecureDev).toBe(false);
  });

  test('any other value is refused as a mistake, not taken as yes', () => {
    expect(() => settingsWith('no')).toThrow(/PRAG_ALLOW_INSECURE_DEV=no: set 1 .* 0 to refuse it/);
  });
});
