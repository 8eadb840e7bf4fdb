import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { DescribeExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import AxeBuilder from '@axe-core/playwright';
import sparticuz from '@sparticuz/chromium';
import { type Browser, type BrowserContextOptions, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, type ExpectStatic, expect, it } from 'vitest';
import { SLOW_LABEL_POSTAL_CODE } from '../../lambdas/adapters/sandbox-carrier.js';
import { api, cloud, uniqueBarcode } from './client.js';
import { orderAwaitingPick, placeOrder, product, untilOrder } from './lifecycle.js';
import { sfn } from './sfn-client.js';

// The console in a real Chromium (@sparticuz/chromium: the browser ships inside the package, nothing is downloaded),
// against the shared local cloud, which built it and serves it at /console/. One browser for the file; each viewport
// gets its own context. Screenshots go to test-results/console/ (gitignored).

const { ops, storefront, warehouse } = cloud.keys;
const SCREENSHOTS = path.resolve(import.meta.dirname, '..', '..', 'test-results', 'console');
const VIEWPORTS: { name: string; options: BrowserContextOptions }[] = [
  { name: 'phone', options: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true } },
  { name: 'desktop', options: { viewport: { width: 1280, height: 900 } } },
];
/** API answers the console is expected to meet and handle: a refused scan, a 403 for a key without the scope, routes not there yet. */
const HANDLED_STATUS = /status of (403|404|409|422) /;

let browser: Browser;

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  // --single-process (for Lambda) ends the whole browser when a context closes; each test closes its own.
  const args = sparticuz.args.filter((arg) => arg !== '--single-process');
  browser = await chromium.launch({ executablePath: await sparticuz.executablePath(), args, headless: true });
});
afterAll(async () => {
  await browser?.close();
});

/** A page that records what the console logs as errors and what it throws; `handled` network refusals aside. */
async function openConsole(options: BrowserContextOptions) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && !HANDLED_STATUS.test(message.text())) errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return { page, errors, close: () => context.close() };
}

/**
 * Waits for what the page shows (it polls the API every few seconds, and the workflows move at their pace), with the
 * running test's own expect: the tests run concurrently.
 */
const polling =
  (expect: ExpectStatic) =>
  <T>(read: () => Promise<T>) =>
    expect.poll(read, { timeout: 20_000, interval: 100 });

async function signIn(expect: ExpectStatic, page: Page, key: string, screen = '#/orders'): Promise<void> {
  await page.goto(`${cloud.console}/${screen}`);
  const field = page.getByLabel('API key');
  await field.waitFor();
  await field.fill(key);
  await field.press('Enter');
  await polling(expect)(() => page.getByLabel('API key').count()).toBe(0);
}

/** No horizontal scrolling, no serious or critical axe violation, and a screenshot kept. */
async function check(expect: ExpectStatic, page: Page, viewport: string, screen: string): Promise<void> {
  // Evaluated in the page (a string: this file is typed for Node, without the DOM's types).
  const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
  expect(overflow, `${screen} scrolls sideways`).toBeLessThanOrEqual(0);
  const { violations } = await new AxeBuilder({ page }).analyze();
  const serious = violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
  expect(
    serious.map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`),
    screen,
  ).toEqual([]);
  await page.screenshot({ path: path.join(SCREENSHOTS, `${viewport}-${screen}.png`), fullPage: true });
}

const text = (page: Page) => page.locator('main').innerText();

/**
 * An order whose workflow was stopped while buying its label (the sandbox carrier is slow for this postal code):
 * the reconciler leaves a run someone stopped alone (ABORTED), so it waits for a person to redrive it.
 */
async function orderForOpsToRedrive(): Promise<string> {
  const item = await product();
  const { orderId, task } = await orderAwaitingPick([{ sku: item.sku, quantity: 1 }], { postalCode: SLOW_LABEL_POSTAL_CODE });
  await api('POST', `/fulfillment/tasks/${task.taskId}/scans`, { key: warehouse, body: { barcode: item.barcode } });
  await api('POST', `/fulfillment/tasks/${task.taskId}/complete`, { key: warehouse, body: { packageWeightGrams: 500 } });
  await untilOrder(orderId, (order) => order.status === 'PACKED');
  const { executionArn } = (await api<{ executionArn: string }>('GET', `/ops/orders/${orderId}/execution`, { key: ops })).body;
  await sfn.send(new StopExecutionCommand({ executionArn, error: 'Test.LabelStopped', cause: 'stopped while buying the label' }));
  expect((await sfn.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('ABORTED');
  return orderId;
}

async function heldOrder(): Promise<string> {
  const item = await product();
  const orderId = await placeOrder([{ sku: item.sku, quantity: 1 }], { token: 'tok_fraud_review' });
  expect((await untilOrder(orderId, (order) => order.status === 'ON_HOLD')).status).toBe('ON_HOLD');
  return orderId;
}

async function orderWithInquiry(): Promise<{ orderId: string; inquiryId: string }> {
  const item = await product();
  const { orderId } = await orderAwaitingPick([{ sku: item.sku, quantity: 1 }]);
  const opened = await api<{ inquiryId: string }>('POST', `/orders/${orderId}/inquiries`, {
    key: storefront,
    body: { subject: 'Where is my parcel?', message: 'Can it come before Friday?' },
  });
  return { orderId, inquiryId: opened.body.inquiryId };
}

interface Arranged {
  inquiry: { orderId: string; inquiryId: string };
  held: string;
  /** Held for review and left so: the attention list must show it. */
  stillHeld: string;
  picking: { orderId: string; barcode: string; taskId: string };
  failed: string;
}

async function orderToPick(): Promise<Arranged['picking']> {
  const item = await product();
  const { orderId, task } = await orderAwaitingPick([{ sku: item.sku, quantity: 2 }]);
  return { orderId, barcode: item.barcode, taskId: task.taskId };
}

/** Each viewport's orders, arranged at once while the browser starts, so the waits (workflows reaching their step) overlap. */
const arranged = new Map<string, Promise<Arranged>>();
beforeAll(() => {
  for (const { name } of VIEWPORTS) {
    const orders = Promise.all([orderWithInquiry(), heldOrder(), heldOrder(), orderToPick(), orderForOpsToRedrive()]).then(
      ([inquiry, held, stillHeld, picking, failed]) => ({ inquiry, held, stillHeld, picking, failed }),
    );
    // A failure surfaces in the tests that await it.
    orders.catch(() => undefined);
    arranged.set(name, orders);
  }
});

// Concurrent: most of each test is waiting for a workflow to move, and the two viewports do not share orders.
describe.concurrent.each(VIEWPORTS)('the console at $name size', ({ name, options }) => {
  const orders = () => arranged.get(name) as Promise<Arranged>;

  it('finds an order by id, shows its execution path beside the workflow graph, and answers its inquiry', async ({ expect }) => {
    const poll = polling(expect);
    const { inquiry } = await orders();
    const { page, errors, close } = await openConsole(options);
    try {
      await signIn(expect, page, ops);
      await check(expect, page, name, 'orders');

      await page.getByLabel('Order id').fill(inquiry.orderId);
      await page.getByRole('button', { name: 'Search' }).click();

      await poll(() => text(page)).toContain(`Order ${inquiry.orderId}`);
      const path = page.locator('ol.path');
      await poll(() => path.innerText()).toContain('CreatePickTask');
      expect(await path.innerText()).toMatch(/ScreenFraud\s+Task\s+done/);
      expect(await page.locator('ol.graph li.visited').count()).toBeGreaterThanOrEqual(5);
      expect(await page.locator('ol.graph').innerText()).toContain('DeliveryOverdue');
      await poll(() => text(page)).toContain('Where is my parcel?');
      await check(expect, page, name, 'order');

      await page.getByLabel('Your reply to Grace Hopper').fill('It leaves the warehouse today.');
      await page.getByRole('button', { name: 'Send reply' }).click();

      await poll(() => text(page)).toContain('Reply sent to');
      const answered = await api<{ status: string; replies: { message: string }[] }>('GET', `/ops/inquiries/${inquiry.inquiryId}`, {
        key: ops,
      });
      expect(answered.body).toMatchObject({ status: 'CLOSED', replies: [{ message: 'It leaves the warehouse today.' }] });
      // The order page lists the order's inquiries whatever their status: the answered one stays, closed, with its reply.
      await poll(() => page.locator('article.inquiry').innerText()).toContain('Closed.');
      expect(await page.locator('article.inquiry').innerText()).toContain('It leaves the warehouse today.');
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });

  it('approves an order held for fraud review', async ({ expect }) => {
    const poll = polling(expect);
    const { held } = await orders();
    const { page, errors, close } = await openConsole(options);
    try {
      await signIn(expect, page, ops, `#/orders/${held}`);
      await poll(() => text(page)).toContain('Held for fraud review');
      await check(expect, page, name, 'held-order');

      await page.getByRole('button', { name: 'Approve order' }).click();

      await poll(() => text(page)).toContain('Approved: the workflow goes on to payment.');
      expect((await untilOrder(held, (order) => order.status === 'FULFILLING')).status).toBe('FULFILLING');
      await poll(() => page.locator('.status').first().innerText()).toBe('FULFILLING');
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });

  it('redrives an order whose workflow stopped, from the order page', async ({ expect }) => {
    const poll = polling(expect);
    const { failed } = await orders();
    const { page, errors, close } = await openConsole(options);
    try {
      await signIn(expect, page, ops, `#/orders/${failed}`);
      await poll(() => page.locator('ol.path').innerText()).toMatch(/BuyLabel\s+Task\s+stopped/);
      expect(await text(page)).toContain('Test.LabelStopped');
      await check(expect, page, name, 'failed-order');

      await page.getByRole('button', { name: 'Redrive workflow' }).click();

      await poll(() => text(page)).toContain('Redriven: the workflow continues');
      expect((await untilOrder(failed, (order) => order.status === 'SHIPPED', 400)).status).toBe('SHIPPED');
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });

  it('picks and packs an order with typed barcodes, with loud feedback for each scan', async ({ expect }) => {
    const poll = polling(expect);
    const { picking } = await orders();
    const { page, errors, close } = await openConsole(options);
    try {
      await signIn(expect, page, warehouse, '#/warehouse');
      await poll(() => text(page)).toContain('Pick slip');
      await check(expect, page, name, 'warehouse');
      await page.getByLabel('Pick slip (task or order id)').fill(picking.orderId);
      await page.getByLabel('Pick slip (task or order id)').press('Enter');
      const scanField = page.getByLabel('Scan or type a barcode');
      const banner = page.locator('.banner');
      await poll(() => scanField.isVisible()).toBe(true);
      // The scan field has focus: a keyboard-wedge scanner types the code and Enter into it.
      await poll(() => page.evaluate<string | undefined>("document.activeElement?.closest('label')?.textContent")).toContain(
        'Scan or type a barcode',
      );

      await page.keyboard.type(uniqueBarcode());
      await page.keyboard.press('Enter');
      await poll(() => banner.getAttribute('class')).toContain('banner-error');
      expect(await banner.innerText()).toContain('Wrong item');
      for (const picked of [1, 2]) {
        await page.keyboard.type(picking.barcode);
        await page.keyboard.press('Enter');
        await poll(() => banner.innerText()).toContain(`${picked} of 2 picked`);
      }
      expect(await banner.getAttribute('class')).toContain('banner-ok');
      expect(await banner.getAttribute('aria-live')).toBe('assertive');
      await check(expect, page, name, 'pick-task');
      await page.getByLabel('Package weight (grams)').fill('650');
      await page.getByRole('button', { name: 'Complete packing' }).click();

      await poll(() => banner.innerText()).toContain(`Packed order ${picking.orderId}`);
      expect((await untilOrder(picking.orderId, (order) => order.status === 'SHIPPED', 400)).status).toBe('SHIPPED');

      // A warehouse key on an ops screen: said plainly, not an error page.
      await page.goto(`${cloud.console}/#/orders/${picking.orderId}`);
      await poll(() => text(page)).toContain('This key cannot do this: it needs a key with the ops scope.');
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });

  it('shows the attention queues from the ops lists: workflows, holds, picks, inquiries and every queue with its dead letters', async ({
    expect,
  }) => {
    const poll = polling(expect);
    const { stillHeld } = await orders();
    const { page, errors, close } = await openConsole(options);
    try {
      await signIn(expect, page, ops, '#/attention');
      for (const heading of ['Failed workflows', 'Fraud holds', 'Overdue pick tasks', 'Open inquiries', 'Dead-letter queues'])
        await poll(() => page.getByRole('heading', { name: heading }).count()).toBe(1);
      await poll(() =>
        page
          .locator('main [role="status"]')
          .filter({ hasText: /^Loading/ })
          .count(),
      ).toBe(0);
      expect(await page.locator('main [role="alert"]').count()).toBe(0);
      // Every list is served (GET /ops/executions, /ops/orders, /ops/queues…): none says "Not available on this API yet".
      expect(await text(page)).not.toContain('Not available');
      for (const queue of ['carrier-events', 'return-events', 'stream-failures']) expect(await text(page)).toContain(queue);
      // GET /ops/orders?status=ON_HOLD feeds the fraud holds: the order held for this viewport is listed, and links to it.
      await poll(() => page.getByRole('link', { name: stillHeld }).count()).toBe(1);
      await check(expect, page, name, 'attention');
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });
});
