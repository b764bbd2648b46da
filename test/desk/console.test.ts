import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { bearer, startTestApp, TEST_ADMIN_KEY, type TestApp } from '../support/app';
import { browserAvailable, launchBrowser, screenshot, seriousViolations, type Browser } from '../support/browser';
import { apiKey } from '../support/factories';
import { chineseAmount } from '../../src/donations/chinese-amount';
import { isValidIdNumber } from '../../src/residents/id-number';
import { cardUid, idNumber, idNumberEndingInX, listening, withWrongCheckDigit } from '../support/residents';
import { BridgeProcess, type BridgeEvent } from '../../card-reader/test/support/bridge';
import { missingForReaders } from '../../card-reader/test/support/e2e';
import { startPcscd, type Pcscd } from '../../card-reader/test/support/pcscd';
import { VirtualCard } from '../../card-reader/test/support/virtual-card';

/**
 * The desk console in real headless Chromium against the whole service on its test
 * database: the flow from registering a resident to closing the card, each
 * screen saved to test/artifacts/desk/ and checked with axe-core. Cards are tapped on
 * a real pcscd's virtual reader (vpcd, card-reader/test/support/) and reported by the
 * bridge in station mode, as at a desk. Without pcscd, vpcd or nfc-pcsc the taps are
 * POSTed to /v1/stations/S1/taps directly, as the bridge would, with a note; with
 * CARD_READER_E2E=required (CI) that is a failure instead.
 */
const STATION = 'S1';
/** The service holds a tap to 500 ms (test/stations.test.ts); the browser gets headroom on a shared CI machine. */
const ON_SCREEN_MS = 1500;

const withBrowser = browserAvailable();
const describeBrowser = withBrowser ? describe : describe.skip;
const readersMissing = withBrowser ? missingForReaders() : null;
if (readersMissing) {
  const install = 'apt-get install --no-install-recommends pcscd libpcsclite-dev vsmartcard-vpcd, then npm ci';
  if (process.env.CARD_READER_E2E === 'required') throw new Error(`CARD_READER_E2E=required but ${readersMissing}: the desk console's taps cannot go through the bridge (${install})`);
  console.log(`desk browser tests: ${readersMissing}; taps are POSTed to /v1/stations/${STATION}/taps instead of going through pcscd and the bridge (${install})`);
}

describeBrowser('the desk console, in Chromium', () => {
  jest.setTimeout(120_000);
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let base: string;
  let operator: string;
  const resident = { name: '张秀英', idNumber: idNumber({ birth: '19491231' }) };
  let residentId: string;
  const firstUid = cardUid();
  const secondUid = cardUid();
  let pcscd: Pcscd | undefined;
  let bridge: BridgeProcess | undefined;

  beforeAll(async () => {
    t = await startTestApp();
    await listening(t);
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    operator = (await t.http.post('/v1/api-keys').set(bearer(TEST_ADMIN_KEY)).send({ role: 'operator', name: '服务台 1 号' })).body.key;
    await t.http.post('/v1/charity-projects').set(bearer(TEST_ADMIN_KEY)).send({ name: '社区助老基金' }).expect(201);
    if (!readersMissing) {
      // The desk's reader: pcscd with the vpcd virtual reader, and the bridge reporting its taps to station S1.
      pcscd = await startPcscd();
      // --debounce 0: the new card is tapped again to open its holder, maybe within the default 1.5 s,
      // which would make it the same tap; the virtual card never bounces, so every tap here is one.
      bridge = new BridgeProcess(['station', '--station', STATION, '--debounce', '0'], { PCSCLITE_CSOCK_NAME: pcscd.socketPath, CARD_READER_API: base, CARD_READER_KEY: operator });
      await bridge.event('ready');
    }
    browser = await launchBrowser();
    page = browser.page;
    // Generous: CI shares two cores between the service, Chromium and another test worker.
    page.setDefaultTimeout(20_000);
    // window.print opens a dialog a headless browser cannot answer: count the calls instead.
    await page.addInitScript({ content: 'window.printed = 0; window.print = () => { window.printed += 1; };' });
  });
  afterAll(async () => {
    await browser?.close();
    if (bridge) expect(await bridge.stop()).toEqual({ code: 0, signal: null });
    await t?.close();
    await pcscd?.dispose();
  });

  /** A screenshot for CI and an accessibility check of the screen as it is. */
  async function screen(name: string) {
    await screenshot(page, name);
    expect({ screen: name, violations: await seriousViolations(page) }).toEqual({ screen: name, violations: [] });
  }

  /**
   * A card held to the desk's reader until the bridge has reported it (its `tap` line), then
   * taken away; what the bridge printed is returned. Without the readers: the bridge's POST.
   */
  async function tap(uid: string): Promise<BridgeEvent | null> {
    if (!bridge || !pcscd) {
      await t.http.post(`/v1/stations/${STATION}/taps`).set(bearer(operator)).send({ uid }).expect(202);
      return null;
    }
    const reported = await bridge.tap(pcscd, new VirtualCard({ uid }), (e) => (e.event === 'tap' || e.event === 'tap-failed') && e.uid === uid);
    expect(reported).toMatchObject({ event: 'tap', station: STATION, uid });
    return reported;
  }
  const flash = () => page.locator('#main .outcome-ok');

  /** Confirms the open dialog with the keyboard: focus starts on Cancel, Tab moves to Confirm. */
  async function confirmWithKeyboard(): Promise<string> {
    const dialog = page.locator('dialog#confirm');
    await dialog.waitFor({ state: 'visible' });
    const text = await dialog.innerText();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'hidden' });
    return text;
  }

  test('sign in with an operator key: kept in the tab session, never in the URL', async () => {
    await page.goto(`${base}/desk`);
    await page.getByRole('heading', { name: '操作员登录' }).waitFor();
    await screen('01-sign-in');
    // Keyboard only: the key field has focus, Tab to the station, Enter submits.
    await page.keyboard.type('cck_wrong-key-000000000000000000000');
    await page.keyboard.press('Enter');
    await page.getByText('登录已失效或密钥已被吊销').waitFor();
    await page.getByLabel('操作员密钥').fill(operator);
    await page.getByLabel('工位编号').fill(STATION);
    await page.getByLabel('工位编号').press('Enter');
    await page.getByText('操作员：服务台 1 号').waitFor();
    await page.getByText('读卡器：已连接').waitFor();
    expect(page.url()).toBe(`${base}/desk/`);
    expect(await page.evaluate("JSON.parse(sessionStorage.getItem('desk.session')).key")).toBe(operator);
    expect(await page.evaluate('JSON.stringify(localStorage)')).not.toContain(operator);
    await screen('02-home');
  });

  test('register: the ID number is checked as it is typed and gives the birth date', async () => {
    await page.getByRole('button', { name: '登记新居民' }).click();
    const id = page.getByLabel('身份证号', { exact: true });
    await page.getByLabel('姓名', { exact: true }).fill(resident.name);
    await id.pressSequentially(resident.idNumber.slice(0, 10));
    await page.getByText('已输入 10 位，还差 8 位。').waitFor();
    await id.fill(withWrongCheckDigit(resident.idNumber));
    await page.getByText('校验位不对，请核对身份证号。').waitFor();
    await id.fill(resident.idNumber);
    await page.getByText('身份证号有效，出生日期 1949-12-31。').waitFor();
    expect(await page.getByLabel('出生日期（由身份证号自动填写）').inputValue()).toBe('1949-12-31');
    await page.getByLabel('手机或电话（可不填）').fill('13800138000');
    await page.getByLabel('小区', { exact: true }).fill('金杨新村');
    await page.getByLabel('楼号', { exact: true }).fill('12号楼');
    await page.getByLabel('室号（可不填）').fill('301');
    await page.getByLabel('低保').check();
    await screen('03-register');
    await page.getByRole('button', { name: '登记', exact: true }).click();
    await flash().getByText('已登记 张秀英').waitFor();
    residentId = (await t.http.post('/v1/desk/residents/search').set(bearer(operator)).send({ name: resident.name })).body.items[0].id;
    await t.http
      .post('/v1/bills')
      .set(bearer(TEST_ADMIN_KEY))
      .send({ residentId, payee: 'water', amount: '45.60', dueDate: '2026-12-15', reference: 'W-2026-11-0001' })
      .expect(201);
  });

  test('tap a blank card: on screen at once, issued in one click', async () => {
    const sent = Date.now();
    const reported = await tap(firstUid);
    if (reported) expect(reported).toMatchObject({ result: 'blank', card: null });
    await page.locator('[data-testid=tap-card]').getByText('空白卡').waitFor({ timeout: ON_SCREEN_MS });
    console.log(`blank card on screen ${Date.now() - sent} ms after it was ${bridge ? 'put on the reader (and taken off once the bridge reported it)' : 'reported'}`);
    await screen('04-blank-card-tapped');
    await page.getByRole('button', { name: '发卡给 张秀英' }).click();
    await flash().getByText(`已发卡，卡号 ${firstUid}`).waitFor();
    await page.locator('[data-testid=tap-card]').getByText('张秀英 的卡').waitFor();
    await screen('05-card-issued');
    // A meal allowance lands on the new card, to be shown with its expiry.
    const admin = bearer(TEST_ADMIN_KEY);
    const program = await t.http
      .post('/v1/subsidy-programs')
      .set(admin)
      .send({ name: '长者助餐补贴', kind: 'allowance', merchantCategories: ['canteen'], eligibility: { minAge: 60 }, amount: '200.00', validDays: 30 })
      .expect(201);
    await t.http.post(`/v1/subsidy-programs/${program.body.id}/funding`).set(admin).set('Idempotency-Key', 'fund-1').send({ amount: '10000.00' }).expect(201);
    await t.http.post(`/v1/subsidy-programs/${program.body.id}/disbursements`).set(admin).set('Idempotency-Key', 'disburse-1').send({ period: '2026-11' }).expect(201);
  });

  test('top up, keyboard only; a lost answer is retried with the same Idempotency-Key and charged once', async () => {
    await page.getByRole('tab', { name: '卡片', exact: true }).focus();
    await page.keyboard.press('ArrowRight');
    await page.getByRole('tab', { name: '余额与充值', selected: true }).waitFor();
    await page.getByLabel('金额（元）').focus();
    await page.keyboard.type('200');
    // The first answer is lost on the way back: the service did the top-up, the browser never heard.
    const keys: string[] = [];
    let dropped = false;
    await page.route('**/v1/top-ups', async (route) => {
      keys.push(route.request().headers()['idempotency-key']);
      const response = await route.fetch();
      if (!dropped) {
        dropped = true;
        return route.abort('connectionreset');
      }
      return route.fulfill({ response });
    });
    await page.keyboard.press('Enter');
    const asked = await confirmWithKeyboard();
    expect(asked).toContain('为 张秀英 充值 ¥200.00（贰佰元整），付款方式：现金。');
    await page.getByText('结果未知').waitFor();
    await screen('06-top-up-outcome-unknown');
    await page.getByRole('button', { name: '重试' }).click();
    await flash().getByText('充值成功：¥200.00。现金余额 ¥200.00。').waitFor();
    await page.unroute('**/v1/top-ups');
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
    expect(await page.locator('[data-testid=cash]').innerText()).toBe('¥200.00');
    await page.locator('[data-testid=balances]').getByText(/长者助餐补贴：¥200.00（\d{4}\/\d{2}\/\d{2} 到期）/).waitFor();
    await screen('07-topped-up');
  });

  test('pay the unpaid water bill, confirmed, from cash', async () => {
    await page.getByRole('tab', { name: '缴费' }).click();
    await page.getByRole('button', { name: '缴纳 水费 ¥45.60' }).click();
    expect(await confirmWithKeyboard()).toContain('从 张秀英 的现金余额缴纳水费 ¥45.60（肆拾伍元陆角），账单号 W-2026-11-0001。');
    await flash().getByText('已缴纳水费 ¥45.60。').waitFor();
    await page.getByText('没有未缴账单。').waitFor();
    await screen('08-bill-paid');
  });

  test('donate and print the receipt, the amount also in capitals', async () => {
    await page.getByRole('tab', { name: '捐款' }).click();
    await page.getByLabel('捐款项目').selectOption({ label: '社区助老基金（已筹 ¥0.00）' });
    await page.getByLabel('金额（元）').fill('50');
    await page.getByRole('button', { name: '捐款', exact: true }).click();
    expect(await confirmWithKeyboard()).toContain('向“社区助老基金”捐款 ¥50.00（伍拾元整）');
    await flash().getByText(/捐款成功，收据编号 CH-\d{4}-000001。/).waitFor();
    const receipt = page.locator('[data-testid=receipt]');
    await receipt.getByText('伍拾元整').waitFor();
    await receipt.getByText('张*英').waitFor();
    await screen('09-donated');
    await page.getByRole('button', { name: '打印收据' }).click();
    expect(await page.evaluate('window.printed')).toBe(1);
    await page.emulateMedia({ media: 'print' });
    try {
      expect(await page.locator('[data-testid=receipt-print]').isVisible()).toBe(true);
      expect(await page.locator('#header').isVisible()).toBe(false);
      expect(await page.locator('#main').isVisible()).toBe(false);
      await screenshot(page, '10-receipt-print');
    } finally {
      await page.emulateMedia({ media: 'screen' });
    }
  });

  test('report the card lost, tap the new card, replace it', async () => {
    await page.getByRole('tab', { name: '卡片', exact: true }).click();
    await page.getByLabel('挂失原因').selectOption('lost');
    await page.getByRole('button', { name: '挂失' }).click();
    await flash().getByText('已挂失').waitFor();
    await page.locator('#main').getByText('已挂失（遗失）').first().waitFor();
    await screen('11-reported-lost');
    const reported = await tap(secondUid);
    if (reported) expect(reported).toMatchObject({ result: 'blank', card: null });
    await page.locator('[data-testid=tap-card]').getByText('空白卡').waitFor({ timeout: ON_SCREEN_MS });
    expect(await page.getByLabel('补卡原因').inputValue()).toBe('lost');
    await page.getByRole('button', { name: '补卡给 张秀英（替换原卡）' }).click();
    expect(await confirmWithKeyboard()).toContain(`用新卡 ${secondUid} 替换 张秀英 的卡 ${firstUid}？`);
    await flash().getByText(`已补卡，新卡号 ${secondUid}`).waitFor();
    await screen('12-replaced');
  });

  test('the card history says who did what, when and why', async () => {
    await page.getByRole('tab', { name: '卡片记录' }).click();
    const tables = page.locator('[data-testid=history]');
    await tables.first().waitFor();
    const newer = await tables.nth(0).innerText();
    const older = await tables.nth(1).innerText();
    expect(newer).toContain(secondUid);
    expect(newer).toMatch(/发卡[\s\S]*服务台 1 号/);
    // Newest first: replaced (reason lost), reported lost, issued.
    expect(older).toMatch(/补卡[\s\S]*遗失[\s\S]*挂失[\s\S]*遗失[\s\S]*发卡/);
    await screen('13-history');
  });

  test('tapping an issued card opens its holder', async () => {
    await page.getByRole('button', { name: '登记新居民' }).click();
    const reported = await tap(secondUid);
    if (reported) expect(reported).toMatchObject({ result: 'card', uid: secondUid, card: { status: 'active', name: '张*英' } });
    await page.locator('[data-testid=tap-card]').getByText('张秀英 的卡').waitFor({ timeout: ON_SCREEN_MS });
    await page.getByRole('heading', { name: '张秀英' }).waitFor();
  });

  test('close the card: the refund is shown before and confirmed after by the service', async () => {
    await page.getByRole('tab', { name: '卡片', exact: true }).click();
    await page.getByRole('button', { name: '销卡并退款' }).click();
    // The dialog opens once the balance has been read from the service.
    await page.locator('dialog#confirm').getByText('销卡后卡片不能再用').waitFor();
    const asked = await page.locator('dialog#confirm').innerText();
    expect(asked).toContain('现金余额 ¥104.40（壹佰零肆元肆角）退还给居民，补贴 ¥200.00 退回补贴项目');
    await screen('14-close-confirm');
    await confirmWithKeyboard();
    await flash().getByText('已销卡。退还现金 ¥104.40（壹佰零肆元肆角）').waitFor();
    const balance = await t.http.get(`/v1/residents/${residentId}/cards`).set(bearer(operator));
    expect(balance.body.items[0]).toMatchObject({ uid: secondUid, status: 'closed' });
    await screen('15-closed');
  });

  test('English at the press of a button, errors in plain words', async () => {
    await page.getByRole('button', { name: 'Switch to English' }).click();
    await page.getByText('Reader: connected').waitFor();
    await page.getByLabel('ID number or name').fill('31011519');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('An ID number has 18 characters (this has 8).').waitFor();
    await page.getByLabel('ID number or name').fill('张秀');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('1 found').waitFor();
    await page.locator('.result-list').getByRole('button', { name: /张秀英/ }).click();
    await page.getByRole('tab', { name: 'Card history' }).click();
    await page.locator('[data-testid=history]').first().getByText('Closed').first().waitFor();
    await screen('16-english');
    await page.getByRole('button', { name: '切换到中文' }).click();
    await page.getByText('读卡器：已连接').waitFor();
  });

  test('the console writes capitals and checks ID numbers exactly as the service does', async () => {
    const amounts = ['0.05', '0.5', '1', '10', '15.3', '100', '1005.07', '1680.32', '10000', '100010000', '123456789.12', '9999999999.99'];
    for (let i = 0; i < 300; i++) amounts.push(`${Math.floor(Math.random() * 10 ** (1 + (i % 10)))}.${String(i % 100).padStart(2, '0')}`);
    // A string, so that the test's compiler does not rewrite the dynamic import into a require().
    const inBrowser = await page.evaluate(`import('/desk/js/capitals.js').then((m) => ${JSON.stringify(amounts)}.map((a) => m.chineseAmount(a)))`);
    expect(inBrowser).toEqual(amounts.map((a) => chineseAmount(a)));

    const ids = [idNumber(), idNumberEndingInX(), withWrongCheckDigit(idNumber()), '990101194912310011', '310115194902300011', '31011519491231001'];
    const judged = await page.evaluate(`import('/desk/js/id-number.js').then((m) => ${JSON.stringify(ids)}.map((id) => m.checkIdNumber(id).state === 'ok'))`);
    expect(judged).toEqual(ids.map((id) => isValidIdNumber(id)));
  });
});
