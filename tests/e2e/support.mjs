// Shared by the end-to-end tests: the browser launch and the demo page as a page object.
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

/** The gateway under test (`cargo xtask test` starts it and sets this). */
export const BASE_URL = process.env.MCR_BASE_URL;

/** Headless Debian Chromium with a fresh temporary profile. */
export async function launchBrowser() {
  assert.ok(BASE_URL, 'MCR_BASE_URL must point at a running gateway (cargo xtask test sets it)');
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    chromiumSandbox: false,
    args: [
      '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-dev-shm-usage',
    ],
  });
}

/** The demo page, as a page object. */
export class DemoPage {
  constructor(page) { this.page = page; }
  async open() { await this.page.goto(`${BASE_URL}/`); }
  /** Relaunches the panel as another demo user; returns once the new panel has opened
   *  its context, so that waiting for "complete" cannot see the old panel. */
  async signInAs(user) {
    const opened = this.page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/api/v1/contexts'));
    await this.page.selectOption('#epr-user-select', user);
    await opened;
  }
  // Playwright's CSS locators pierce open shadow roots.
  banner() { return this.page.locator('mcr-panel .mcr-banner'); }
  section(kind) { return this.page.locator(`mcr-panel .mcr-section--${kind}`); }
  /** Selects a section's tab (`medications`, `care-plans`, `summary`) and returns the
   *  section: only the selected tab's panel is in the page. */
  async tab(kind) {
    await this.page.locator(`mcr-panel [role=tab][data-tab="${kind}"]`).click();
    return this.section(kind);
  }
  sources() { return this.page.locator('mcr-panel .mcr-sources'); }
  comments() { return this.page.locator('mcr-panel .mcr-comments'); }
  commentBox() { return this.page.locator('mcr-panel .mcr-comment-form textarea'); }
  // The panel marks itself complete once every located source has answered.
  async complete() { await this.page.locator('mcr-panel .mcr-panel[data-progress="complete"]').waitFor({ timeout: 30000 }); }
  async commentsReady() { await this.page.locator('mcr-panel .mcr-comments[data-comments="ready"]').waitFor({ timeout: 30000 }); }
  /** Types `text` into the comment form and sends it. */
  async addComment(text) {
    await this.commentBox().fill(text);
    await this.page.locator('mcr-panel .mcr-comment-form button[type=submit]').click();
  }
}
