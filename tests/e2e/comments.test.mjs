// End-to-end: comments in the demo page. One user adds comments in one browser context;
// a second user, in another context, sees them on their next view, marked new. Hostile
// and odd text is shown exactly as typed and never becomes markup or runs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DemoPage, launchBrowser } from './support.mjs';

let browser;

before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

/** A demo page in a browser context of its own (its own cookies and storage). */
async function demoIn(user) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const dialogs = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
  const demo = new DemoPage(page);
  await demo.open();
  if (user !== 'ae-doctor') await demo.signInAs(user);
  await demo.complete();
  await demo.commentsReady();
  return { context, page, demo, dialogs };
}

// Each input must come back exactly as typed (after NFC, which leaves these unchanged).
const CORPUS = [
  '<script>alert("script tag")</script>',
  '<img src=x onerror="alert(\'event attribute\')">',
  '<a href="javascript:alert(\'js url\')">click me</a>',
  '&lt;b&gt;not bold&lt;/b&gt; &amp; &#x41;',
  'Chest pain 8/10 😀👍🏽',
  'ألم في الصدر · 胸痛 · Боль в груди · सीने में दर्द',
  'before \u202Egnp.exe\u202C after',
  `Line one\n\tindented line two`,
  'x'.repeat(2000),
];

test('comments from one user reach the next viewer, and odd text is shown exactly as typed', async () => {
  const writer = await demoIn('ae-doctor');
  const marker = `Seen in A&E ${Date.now()}: started apixaban, please review`;
  await writer.demo.addComment(marker);
  const mine = writer.demo.comments().locator('.mcr-comment', { hasText: marker });
  await mine.waitFor();
  assert.match(await mine.innerText(), /Dr Priya Shah · Hospital clinician · Y91001/);
  for (const text of CORPUS) {
    const before = await writer.demo.comments().locator('.mcr-comment').count();
    await writer.demo.addComment(text);
    await writer.page.waitForFunction(
      (n) => document.querySelector('mcr-panel').shadowRoot.querySelectorAll('.mcr-comment').length > n,
      before,
    );
    assert.equal(await writer.demo.commentBox().inputValue(), '', 'the box is cleared once saved');
  }

  // Refused input: a control character is refused by the gateway with a reason, and the
  // text stays in the box; 2,001 characters cannot be sent at all.
  await writer.demo.addComment('bad \u0007 bell');
  const alert = writer.demo.comments().locator('.mcr-comment-form [role=alert]');
  await alert.waitFor();
  assert.match(await alert.innerText(), /not saved.*control character U\+0007/);
  assert.equal(await writer.demo.commentBox().inputValue(), 'bad \u0007 bell');
  await writer.demo.commentBox().fill('y'.repeat(2001));
  assert.match(await writer.demo.comments().locator('.mcr-comment-count').innerText(), /1 over the limit/);
  assert.ok(await writer.demo.comments().locator('button[type=submit]').isDisabled());
  assert.deepEqual(writer.dialogs, []);

  // A second user in another browser context, on their next view.
  const reader = await demoIn('ward-nurse');
  const theirs = reader.demo.comments().locator('.mcr-comment', { hasText: marker });
  await theirs.waitFor();
  assert.match(await theirs.innerText(), /New since your last view/);
  assert.equal(await theirs.locator('.mcr-comment-retract').count(), 0, 'only the author may retract');
  const bodies = await reader.demo.comments().locator('.mcr-comment-body').evaluateAll(
    (els) => els.map((e) => e.textContent),
  );
  for (const text of CORPUS) assert.ok(bodies.includes(text), `shown as typed: ${JSON.stringify(text.slice(0, 40))}`);
  // Nothing in the comments became an element, and nothing ran.
  assert.equal(await reader.demo.comments().locator('.mcr-comment-body *').count(), 0);
  assert.equal(await reader.demo.comments().locator('script, img, a').count(), 0);
  assert.deepEqual(reader.dialogs, []);
  // Bidirectional overrides are isolated inside their comment.
  const bidi = reader.demo.comments().locator('.mcr-comment-body', { hasText: 'gnp.exe' }).last();
  assert.equal(await bidi.evaluate((e) => getComputedStyle(e).unicodeBidi), 'isolate');
  assert.equal(await bidi.getAttribute('dir'), 'auto');
  // Nothing was kept in browser storage by either user.
  for (const p of [writer.page, reader.page]) {
    assert.equal(await p.evaluate(() => localStorage.length + sessionStorage.length), 0);
  }

  // The author retracts the first comment; the next viewer sees it retracted, without text.
  const id = await mine.getAttribute('data-comment-id');
  await mine.locator('.mcr-comment-retract').click();
  await mine.waitFor({ state: 'detached' });
  await reader.demo.signInAs('gp');
  await reader.demo.complete();
  await reader.demo.commentsReady();
  const retracted = reader.demo.comments().locator(`.mcr-comment[data-comment-id="${id}"]`);
  assert.match(await retracted.innerText(), /Retracted by its author/);
  assert.equal(await reader.demo.comments().getByText(marker).count(), 0);
  await writer.context.close();
  await reader.context.close();
});

test('a comment on one entry is marked on that entry for the next viewer', async () => {
  const note = `Dose checked with the patient today (${Date.now()})`;
  const writer = await demoIn('gp');
  const entry = (await writer.demo.tab('medications')).locator('.mcr-entry').first();
  const title = await entry.locator('.mcr-entry-title').innerText();
  await entry.locator('.mcr-entry-comment').click();
  const about = writer.demo.comments().locator('.mcr-comment-form .mcr-comment-about');
  assert.match(await about.innerText(), new RegExp(`About: ${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  // The button moved focus to the text box.
  assert.equal(await writer.page.evaluate(() => document.querySelector('mcr-panel').shadowRoot.activeElement?.id), 'mcr-comment-text');
  await writer.page.keyboard.type(note);
  await writer.page.keyboard.press('Tab');
  await writer.page.keyboard.press('Enter');
  await writer.demo.comments().locator('.mcr-comment', { hasText: note }).waitFor();
  await writer.context.close();

  const reader = await demoIn('ae-doctor');
  const marked = (await reader.demo.tab('medications')).locator('.mcr-entry', { hasText: title }).first();
  assert.match(await marked.locator('.mcr-entry-comments').innerText(), /^\d+ comments?$/);
  const comment = reader.demo.comments().locator('.mcr-comment', { hasText: note });
  assert.match(await comment.innerText(), new RegExp(`On: ${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  await reader.context.close();
});
