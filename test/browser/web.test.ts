// The web app in a real browser (Debian's Chromium driven by playwright-core) against the real
// `diary-events all`: sign up, sign in, write yesterday's diary and watch its summary reach `done`;
// a second user cannot see the first one's entries; the admin's dashboard shows the job that ran;
// the CSP header is sent and nothing violates it. Screenshots go to test-artifacts/screenshots/
// (and, with UPDATE_DOCS_SCREENSHOTS=1, the diary and dashboard ones to docs/screenshots/).
// @date-sensitive: "yesterday" and the demo's months come from the clock, which scripts/run-tests.mjs
// moves to awkward days; the browser gets the same time through Playwright's clock.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { freePort, startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { spawnCli, type CliProcess } from '../helpers/cli.js';
import { dateIn, realClockEnv } from '../helpers/clock.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SHOTS = join(ROOT, 'test-artifacts', 'screenshots');
const DOCS_SHOTS = join(ROOT, 'docs', 'screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TZ = 'Asia/Tokyo';
const PASSWORD = 'correct horse battery staple';
const DEMO_EMAIL = 'demo@example.com';

const haveBrowser = existsSync(CHROMIUM);
const haveBuild = existsSync(join(ROOT, 'dist', 'web', 'index.html')) && existsSync(join(ROOT, 'dist', 'cli.js'));
// Locally a missing browser skips (with the reason); in CI it must fail, never pass by skipping.
const skip = process.env.CI
  ? false
  : !haveBrowser
  ? `no Chromium at ${CHROMIUM} (apt-get install chromium)`
  : !haveBuild
    ? 'no build (npm run build)'
    : false;

/** The demo user's password: `all` keeps it in DATA_DIR/demo-password (and shows it on a terminal only). */
function demoPassword(dataDir: string): string | undefined {
  if (process.env.DEMO_PASSWORD) return process.env.DEMO_PASSWORD;
  try {
    return readFileSync(join(dataDir, 'demo-password'), 'utf8').trim();
  } catch {
    return undefined;
  }
}

const DIARY_TEXT =
  'Woke up early and walked along the river before work. The morning light on the water was beautiful. ' +
  'At the office we finally shipped the new summary dashboard, and the whole team celebrated with coffee. ' +
  'In the evening I cooked curry for my sister and we talked about our trip to Kyoto next spring.';

test('the web app type-checks against the generated API types', () => {
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'web', 'tsconfig.json')], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
});

describe('web app in Chromium', { skip, timeout: 300_000 }, () => {
  let redis: RedisServer;
  let app: CliProcess;
  let dataDir: string;
  let base: string;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const violations: string[] = [];
  const pageErrors: string[] = [];
  const requestUrls: string[] = [];
  const tokens: string[] = [];
  const userA = `alice-${Date.now()}@example.com`;
  const userB = `bob-${Date.now()}@example.com`;
  const yesterday = dateIn(TZ, -1);

  async function newPage(locale = 'en-US'): Promise<Page> {
    const context = await browser.newContext({ locale, timezoneId: TZ, viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    // The page's clock is the test's (moved to an awkward day when the run says so); it keeps ticking.
    await context.clock.install({ time: new Date() });
    await context.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
      });
    });
    const page = await context.newPage();
    page.on('console', (msg) => {
      const text = msg.text();
      if (/Content[- ]Security[- ]Policy|CSP violation|Refused to (load|apply|execute|connect)/i.test(text)) violations.push(text);
    });
    page.on('pageerror', (err) => pageErrors.push(String(err)));
    page.on('request', (req) => requestUrls.push(req.url()));
    return page;
  }

  async function shot(page: Page, name: string, docsName?: string): Promise<void> {
    mkdirSync(SHOTS, { recursive: true });
    const path = join(SHOTS, `${name}.png`);
    await page.mouse.move(0, 0); // no hover effects in the pictures
    await page.screenshot({ path, fullPage: true });
    if (docsName && process.env.UPDATE_DOCS_SCREENSHOTS === '1') {
      mkdirSync(DOCS_SHOTS, { recursive: true });
      copyFileSync(path, join(DOCS_SHOTS, `${docsName}.png`));
    }
  }

  async function signUp(page: Page, email: string, name: string): Promise<void> {
    await page.goto(base);
    await page.getByTestId('signin-form').waitFor();
    await page.getByTestId('tab-signup').click();
    await page.getByTestId('auth-email').fill(email);
    await page.getByTestId('auth-password').fill(PASSWORD);
    await page.getByTestId('auth-name').fill(name);
    assert.equal(await page.getByTestId('auth-timezone').inputValue(), TZ);
    await page.getByTestId('auth-register-key').waitFor();
    await page.getByTestId('auth-submit').click();
    await page.getByTestId('month-page').waitFor();
  }

  async function signIn(page: Page, email: string, password: string): Promise<void> {
    await page.goto(base);
    await page.getByTestId('signin-form').waitFor();
    await page.getByTestId('auth-email').fill(email);
    await page.getByTestId('auth-password').fill(password);
    await page.getByTestId('auth-submit').click();
    await page.getByTestId('month-page').waitFor();
    const token = await page.evaluate(() => sessionStorage.getItem('diary.token'));
    assert.ok(token, 'the token is kept in sessionStorage');
    tokens.push(token);
  }

  /** Opens a day from the calendar (moving to the previous month when needed). */
  async function openDay(page: Page, date: string): Promise<void> {
    await page.getByTestId('nav-diary').click();
    await page.getByTestId('month-page').waitFor();
    const month = date.slice(0, 7);
    if ((await page.getByTestId('month-page').getAttribute('data-month')) !== month) {
      await page.getByTestId('prev-month').click();
      await page.locator(`[data-testid="month-page"][data-month="${month}"]`).waitFor();
    }
    await page.getByTestId(`day-${date}`).click();
    await page.locator(`[data-testid="day-page"][data-date="${date}"]`).waitFor();
  }

  before(async () => {
    redis = await startRedisServer();
    dataDir = mkdtempSync(join(tmpdir(), 'diary-web-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    app = spawnCli(['all'], {
      DATA_DIR: dataDir,
      PORT: String(port),
      REDIS_URL: redis.url,
      LLM_PROVIDER: 'extractive',
      SUMMARY_MIN_CHARS: '50',
      JWT_SECRET: 'browser-test-jwt-secret-0123456789abcdef',
      SECRET_KEY: 'browser-test-secret-key-0123456789abcdef',
      SCHEDULER_INTERVAL: '5s',
      DEFAULT_TIMEZONE: TZ,
      LOG_LEVEL: 'warn',
      ...(process.env.DEMO_PASSWORD ? { DEMO_PASSWORD: process.env.DEMO_PASSWORD } : {}),
    });
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (app.proc.exitCode !== null) throw new Error(`diary-events all exited: ${app.stderr().slice(-2000)}`);
      const ok = await fetch(`${base}/readyz`).then((r) => r.ok, () => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`not ready after 90s: ${app.stderr().slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    // Chromium keeps the real clock (libfaketime is not for it); its pages get the test's time above.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      env: realClockEnv(),
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
        '--disable-sync', '--no-first-run', '--disable-quic',
      ],
    });
  });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close().catch(() => {});
    if (app) {
      const killer = setTimeout(() => app.proc.kill('SIGKILL'), 15_000);
      await app.stop('SIGTERM');
      clearTimeout(killer);
    }
    await redis?.destroy();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('the app is served with a Content-Security-Policy and security headers', async () => {
    for (const path of ['/', '/day/2024-01-15']) {
      const res = await fetch(`${base}${path}`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /text\/html/);
      const csp = res.headers.get('content-security-policy') ?? '';
      assert.match(csp, /default-src 'self'/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.match(await res.text(), /<div id="root">/);
    }
  });

  test('sign up, sign out, sign in; the token never appears in a URL', async () => {
    const page = await newPage();
    await signUp(page, userA, 'Alice');
    await shot(page, '01-month-new-user');
    assert.match(await page.getByTestId('entry-count').textContent() ?? '', /0 entries/);
    await page.getByTestId('sign-out').click();
    await page.getByTestId('signin-form').waitFor();
    await shot(page, '00-sign-in');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('diary.token')), null);

    // A wrong password is refused with the server's message.
    await page.getByTestId('auth-email').fill(userA);
    await page.getByTestId('auth-password').fill('not the password');
    await page.getByTestId('auth-submit').click();
    assert.match(await page.getByTestId('auth-error').textContent() ?? '', /wrong email or password/);

    await signIn(page, userA, PASSWORD);
    // A reload keeps the session (sessionStorage), and nothing is kept in localStorage.
    await page.reload();
    await page.getByTestId('month-page').waitFor();
    assert.equal(await page.evaluate(() => localStorage.length), 0);
    assert.doesNotMatch(page.url(), /token|eyJ/);
  });

  test("write yesterday's diary and watch its summary reach done", { timeout: 120_000 }, async () => {
    const page = contexts[0]!.pages()[0]!;
    await openDay(page, yesterday);
    await page.getByTestId('diary-content').fill(DIARY_TEXT);
    await page.getByTestId('diary-save').click();
    const info = page.getByTestId('save-info');
    await info.waitFor();
    assert.match(await info.textContent() ?? '', /summary job was queued/);
    // Live status without reloading: queued/processing … done.
    await page.locator('[data-testid="daily-summary-status"][data-status="done"]').waitFor({ timeout: 90_000 });
    const summary = await page.getByTestId('daily-summary-text').textContent();
    assert.ok(summary && summary.length > 10, `a summary is shown: ${summary}`);
    await page.getByTestId('daily-polling').waitFor({ state: 'detached', timeout: 5_000 });
    await shot(page, '02-day-done');

    // Today's summary cannot be requested yet; the page says why.
    await openDay(page, dateIn(TZ, 0));
    assert.equal(await page.getByTestId('daily-summarize-now').isDisabled(), true);

    // The calendar shows the entry and its status.
    await openDay(page, yesterday);
    await page.getByTestId('back-to-month').click();
    const cell = page.getByTestId(`day-${yesterday}`);
    await page.locator(`[data-testid="day-${yesterday}"][data-status="done"]`).waitFor({ timeout: 15_000 });
    assert.equal(await cell.getAttribute('data-has-entry'), 'true');
    await shot(page, '03-month-with-entry');
  });

  test("a second user cannot see the first one's entries", async () => {
    const page = await newPage();
    await signUp(page, userB, 'Bob');
    assert.equal(await page.getByTestId('user-email').textContent(), 'Bob');
    await openDay(page, yesterday);
    assert.equal(await page.getByTestId('diary-content').inputValue(), '');
    assert.equal(await page.getByTestId('daily-summary-status').getAttribute('data-status'), 'none');
    assert.equal(await page.getByText(DIARY_TEXT.slice(0, 30)).count(), 0);
    await page.getByTestId('back-to-month').click();
    assert.equal(await page.getByTestId(`day-${yesterday}`).getAttribute('data-has-entry'), 'false');
    // Not an admin: no dashboard link, and the page refuses.
    assert.equal(await page.getByTestId('nav-admin').count(), 0);
    await page.goto(`${base}/admin`);
    await page.getByTestId('not-admin').waitFor();
  });

  test('settings: the API key can be replaced but is never shown', async () => {
    const page = contexts[0]!.pages()[0]!;
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('settings-page').waitFor();
    assert.equal(await page.getByTestId('api-key-state').getAttribute('data-has-key'), 'false');
    const key = 'sk-browser-test-0123456789';
    await page.getByTestId('llm-api-key').fill(key);
    await page.getByTestId('settings-save').click();
    await page.getByTestId('settings-saved').waitFor();
    assert.equal(await page.getByTestId('api-key-state').getAttribute('data-has-key'), 'true');
    assert.equal(await page.getByTestId('llm-api-key').inputValue(), '');
    await page.reload();
    await page.getByTestId('settings-page').waitFor();
    assert.equal(await page.getByTestId('api-key-state').getAttribute('data-has-key'), 'true');
    assert.ok(!(await page.content()).includes(key), 'the stored key is not in the page');
    await shot(page, '04-settings');
    await page.getByTestId('remove-api-key').click();
    await page.locator('[data-testid="api-key-state"][data-has-key="false"]').waitFor();
  });

  test('the admin sees the job that just ran on the dashboard', { timeout: 120_000 }, async () => {
    const password = demoPassword(dataDir);
    assert.ok(password, `\`all\` keeps the demo user's password in ${dataDir}/demo-password`);
    const page = await newPage();
    await signIn(page, DEMO_EMAIL, password);
    await page.getByTestId('nav-admin').click();
    await page.getByTestId('dashboard-page').waitFor();
    await page.getByTestId('stat-transport').waitFor();
    assert.match(await page.getByTestId('stat-transport').textContent() ?? '', /pubsub/);
    assert.match(await page.getByTestId('stat-subscribers').textContent() ?? '', /[1-9]/);
    // Alice's job (and the demo's) was processed by this server's subscriber, within the last hour.
    const processed = Number(await page.getByTestId('totals').getAttribute('data-processed'));
    assert.ok(processed >= 1, `processed total ${processed}`);
    const chart = page.getByTestId('throughput-chart');
    assert.ok(Number(await chart.getAttribute('data-done')) >= 1);
    assert.ok(Number(await page.getByTestId('count-daily-done').textContent()) >= 1);
    await page.getByTestId('ticks').waitFor({ timeout: 30_000 });
    // A second poll turns totals into per-minute rates.
    await page.locator('[data-testid="stat-processed-rate"] .stat-value').filter({ hasText: /^\d/ }).waitFor({ timeout: 15_000 });

    // Alice writes another day while the admin watches: the dashboard's next poll counts the job.
    const alice = contexts[0]!.pages()[0]!;
    await openDay(alice, dateIn(TZ, -2));
    await alice.getByTestId('diary-content').fill(`${DIARY_TEXT} The next day was quieter.`);
    await alice.getByTestId('diary-save').click();
    await alice.locator('[data-testid="daily-summary-status"][data-status="done"]').waitFor({ timeout: 60_000 });
    const totals = page.getByTestId('totals');
    const deadline = Date.now() + 30_000;
    while (Number(await totals.getAttribute('data-processed')) <= processed) {
      assert.ok(Date.now() < deadline, 'the dashboard counted the new job');
      await page.waitForTimeout(250);
    }
    const rate = Number(await page.locator('[data-testid="stat-processed-rate"] .stat-value').textContent());
    assert.ok(rate > 0, `processed per minute ${rate}`);
    await shot(page, '05-dashboard', 'dashboard');
  });

  test("an admin opens a failed job's history from the dashboard; the user sees it on the day page", { timeout: 120_000 }, async () => {
    // Carol picks the openai provider without a base URL or model: her jobs fail permanently.
    const carol = await newPage();
    const email = `carol-${Date.now()}@example.com`;
    await signUp(carol, email, 'Carol');
    await carol.getByTestId('nav-settings').click();
    await carol.getByTestId('settings-page').waitFor();
    await carol.getByTestId('llm-provider').selectOption('openai');
    await carol.getByTestId('settings-save').click();
    await carol.getByTestId('settings-saved').waitFor();
    await openDay(carol, yesterday);
    await carol.getByTestId('diary-content').fill(`${DIARY_TEXT} Carol's day.`);
    await carol.getByTestId('diary-save').click();
    await carol.locator('[data-testid="daily-summary-status"][data-status="failed"]').waitFor({ timeout: 60_000 });
    await carol.locator('[data-testid="day-attempts"] [data-testid="attempt"][data-outcome="failed"]').waitFor({ timeout: 15_000 });
    assert.equal(await carol.locator('[data-testid="day-attempts"] [data-testid="attempt"]').first().getAttribute('data-error-class'), 'permanent');

    const password = demoPassword(dataDir);
    assert.ok(password);
    const admin = await newPage();
    await signIn(admin, DEMO_EMAIL, password);
    await admin.getByTestId('nav-admin').click();
    await admin.getByTestId('job-history').waitFor();
    // The list opens on failed jobs; Carol's day is among them.
    const row = admin.locator(`[data-testid="job-row"][data-period="${yesterday}"]`, { hasText: email });
    await row.waitFor({ timeout: 15_000 });
    assert.equal(await row.getAttribute('data-outcome'), 'failed');
    await row.getByTestId('open-job').click();
    const detail = admin.locator(`[data-testid="job-detail"][data-period="${yesterday}"]`);
    await detail.waitFor();
    const attempt = detail.locator('[data-testid="attempt"]').first();
    assert.equal(await attempt.getAttribute('data-outcome'), 'failed');
    assert.equal(await attempt.getAttribute('data-error-class'), 'permanent');
    assert.match((await attempt.textContent()) ?? '', /diary_saved/);
    await shot(admin, '07-job-history');
  });

  test("the demo user's diary: calendar, entry and summaries", { timeout: 120_000 }, async () => {
    const page = contexts[contexts.length - 1]!.pages()[0]!;
    // The seeded days of the previous month are summarized, then the month itself.
    const prevMonth = dateIn(TZ, 0).slice(0, 7) === yesterday.slice(0, 7)
      ? new Date(Date.UTC(Number(yesterday.slice(0, 4)), Number(yesterday.slice(5, 7)) - 2, 1)).toISOString().slice(0, 7)
      : yesterday.slice(0, 7);
    await page.getByTestId('nav-diary').click();
    await page.getByTestId('month-page').waitFor();
    await page.goto(`${base}/month/${prevMonth}`);
    await page.locator(`[data-testid="month-page"][data-month="${prevMonth}"]`).waitFor();
    await page.locator('[data-testid="monthly-summary-status"][data-status="done"]').waitFor({ timeout: 90_000 });
    await shot(page, '06-demo-month', 'diary');
    const withEntry = page.locator('[data-has-entry="true"][data-status="done"]').last();
    await withEntry.click();
    await page.getByTestId('day-page').waitFor();
    await page.locator('[data-testid="daily-summary-status"][data-status="done"]').waitFor({ timeout: 30_000 });
    await shot(page, '07-demo-day');
  });

  test('Japanese UI for a Japanese browser', async () => {
    const page = await newPage('ja-JP');
    await page.goto(base);
    await page.getByTestId('signin-form').waitFor();
    assert.equal(await page.getByTestId('auth-submit').textContent(), 'サインイン');
    await signIn(page, userA, PASSWORD);
    assert.match(await page.getByTestId('month-title').textContent() ?? '', /\d+年\d+月/);
    await shot(page, '08-month-ja');
  });

  test('no CSP violations, no page errors, no token in any URL', () => {
    assert.deepEqual(violations, []);
    assert.deepEqual(pageErrors, []);
    assert.ok(tokens.length > 0);
    for (const url of requestUrls) for (const t of tokens) assert.ok(!url.includes(t), `token in URL ${url}`);
  });
});
