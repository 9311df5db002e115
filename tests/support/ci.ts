// The CI switch for the Vitest tests (Node and browser alike): vitest.config.ts forwards scripts/ci.mjs's verdict
// as import.meta.env.CI ('true' or ''), because a browser test has no process.env.
import { beforeAll, describe } from 'vitest';

export const CI = import.meta.env.CI === 'true';

/**
 * A describe block that needs something the machine may lack. `missing` is undefined when it is there, else why it
 * is not. Outside CI the block is skipped with that reason printed; under CI it runs and fails, saying what is
 * missing, so a CI run can never pass by skipping.
 */
export function describeWith(missing: string | undefined, name: string, body: () => void): void {
  if (missing && !CI) console.warn(`SKIP ${name}: ${missing}`);
  describe.skipIf(!!missing && !CI)(name, () => {
    beforeAll(() => {
      if (missing) throw new Error(`CI run: ${missing}. Under CI this is a failure, not a skip.`);
    });
    body();
  });
}
