// Whether this is a CI run: $CI set to anything but '', 'false' or '0' (.ci/run exports CI=true). Under CI a test
// whose prerequisite is missing (the CIFAR-10 archive, a WebGPU adapter) fails instead of skipping, and Playwright
// never reuses a server it did not start. Read by vitest.config.ts (which forwards it to the tests as
// import.meta.env.CI = 'true' | ''), playwright.config.ts, tests/e2e and scripts/test.mjs.
const raw = (process.env.CI ?? '').trim().toLowerCase();
export const isCI = raw !== '' && raw !== 'false' && raw !== '0';
