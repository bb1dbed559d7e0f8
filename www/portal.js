// The social-care portal: sign in (demo users in demo mode), find a person by NHS number
// and date of birth with a reason, and view their record read-only in the panel (the
// gateway applies the social-care dataset). Privacy officers get the dissent register,
// the person's access log and the emergency-access review list instead of the record.
//
// Sign-in is OpenID Connect authorisation code with PKCE against the configured identity
// provider (the demo provider in demo mode). The token lives in this module's memory
// only: never in storage, a cookie or a URL.
// All text from the gateway is inserted with textContent, never as HTML.
import init from '/pkg/mcr_panel.js';

const WARN_BEFORE_MS = 2 * 60 * 1000;
const $ = (id) => document.getElementById(id);

let session = null; // { user, token, expiresAt, timers: [] }
let officerContext = null;

function show(id, visible) { $(id).hidden = !visible; }

async function gateway(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: { Authorization: `Bearer ${session.token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) { signOut('Your session has ended. Sign in again to continue.'); throw new Error('signed out'); }
  return response;
}

async function errorMessage(response) {
  try { return (await response.json()).message; } catch { return `the gateway answered ${response.status}`; }
}

const PKCE_KEY = 'mcr-portal-pkce';

function base64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString() { return base64url(crypto.getRandomValues(new Uint8Array(32))); }

/** The identity provider the gateway trusts (its discovery document) and our client id. */
async function provider() {
  const config = await (await fetch('/api/v1/portal-config')).json();
  const metadata = await (await fetch(`${config.issuer}/.well-known/openid-configuration`)).json();
  return { ...metadata, client_id: config.client_id };
}

function redirectUri() { return `${window.location.origin}${window.location.pathname}`; }

// Step 1: off to the identity provider with a PKCE challenge. Only the one-time verifier
// and state wait in sessionStorage for the return trip, and are removed on it.
async function startSignIn() {
  const metadata = await provider();
  const verifier = randomString();
  const state = randomString();
  const challenge = base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state }));
  const query = new URLSearchParams({
    response_type: 'code', client_id: metadata.client_id, redirect_uri: redirectUri(), scope: 'openid',
    code_challenge: challenge, code_challenge_method: 'S256', state,
  });
  window.location.assign(`${metadata.authorization_endpoint}?${query}`);
}

// Step 2: back with a code; exchange it (with the verifier) for a token kept in memory.
async function finishSignIn(params) {
  const saved = JSON.parse(sessionStorage.getItem(PKCE_KEY) ?? 'null');
  sessionStorage.removeItem(PKCE_KEY);
  // The code leaves the address bar (and history) at once.
  window.history.replaceState(null, '', redirectUri());
  if (!saved || saved.state !== params.get('state')) throw new Error('the sign-in did not come from this page; try again');
  const metadata = await provider();
  const response = await fetch(metadata.token_endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code', code: params.get('code'), redirect_uri: redirectUri(),
      client_id: metadata.client_id, code_verifier: saved.verifier,
    }),
  });
  if (!response.ok) throw new Error(await errorMessage(response));
  const { access_token: token, expires_in: seconds } = await response.json();
  signedIn(token, seconds);
}

/** The claims of our own token, for display only (the gateway verifies it). */
function claimsOf(token) {
  const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(payload), (c) => c.charCodeAt(0))));
}

async function signedIn(token, seconds) {
  const claims = claimsOf(token);
  const expiresAt = Date.now() + seconds * 1000;
  session = { user: claims.role, token, expiresAt, timers: [] };
  session.timers.push(setTimeout(() => {
    $('portal-session').textContent = 'Your session ends in 2 minutes. Finish what you are doing; you will need to sign in again.';
    show('portal-session', true);
  }, Math.max(0, expiresAt - Date.now() - WARN_BEFORE_MS)));
  session.timers.push(setTimeout(() => signOut('Your session has ended. Sign in again to continue.'), Math.max(0, expiresAt - Date.now())));
  const officer = claims.role === 'privacy-officer';
  $('portal-who').textContent = `${claims.name} · ${claims.role.replace('-', ' ')}`;
  show('portal-sign-in', false);
  show('portal-sign-out', true);
  show('portal-search', true);
  show('search-dob-group', !officer);
  show('portal-officer', officer);
  if (officer) await loadReviews();
}

function signOut(message) {
  if (session) for (const t of session.timers) clearTimeout(t);
  session = null;
  officerContext = null;
  // Removing the panel ends its patient context at the gateway.
  const panel = $('portal-panel');
  panel.replaceWith(Object.assign(document.createElement('mcr-panel'), { id: 'portal-panel' }));
  for (const id of ['portal-search', 'portal-record', 'portal-officer', 'officer-patient', 'portal-sign-out']) show(id, false);
  show('portal-sign-in', true);
  $('portal-who').textContent = '';
  $('search-form').reset();
  $('portal-session').textContent = message ?? '';
  show('portal-session', Boolean(message));
}

function searchError(message) {
  $('search-error').textContent = message;
  show('search-error', Boolean(message));
}

async function search(event) {
  event.preventDefault();
  const nhs = $('search-nhs').value.replace(/[\s-]/g, '');
  const birthDate = $('search-dob').value;
  const reason = $('search-reason').value.trim();
  const officer = session.user === 'privacy-officer';
  if (!/^\d{10}$/.test(nhs)) return searchError('Enter the NHS number: 10 digits.');
  if (!officer && !birthDate) return searchError('Enter the date of birth.');
  if (!reason) return searchError('Say why you need to look at this record.');
  searchError('');
  if (officer) return openForOfficer(nhs, reason);
  // The panel opens the context itself, with the reason and date of birth in the body.
  const fresh = Object.assign(document.createElement('mcr-panel'), { id: 'portal-panel' });
  $('portal-panel').replaceWith(fresh);
  fresh.gatewayUrl = window.location.origin;
  fresh.reason = reason;
  fresh.birthDate = birthDate;
  fresh.nhsNumber = nhs;
  fresh.token = session.token;
  show('portal-record', true);
}

async function openForOfficer(nhs, reason) {
  const response = await gateway('POST', '/api/v1/contexts', { nhs_number: nhs, reason });
  if (!response.ok) return searchError(await errorMessage(response));
  officerContext = (await response.json()).context_id;
  show('officer-patient', true);
  await Promise.all([loadDissent(), loadAccessLog()]);
}

async function loadDissent() {
  const response = await gateway('GET', `/api/v1/contexts/${officerContext}/dissent`);
  const state = $('dissent-state');
  if (!response.ok) { state.textContent = await errorMessage(response); return; }
  const dissent = await response.json();
  state.textContent = dissent.recorded
    ? `This person objects to sharing (recorded by ${dissent.recorded_by}${dissent.reason ? `: ${dissent.reason}` : ''}).`
    : 'No objection to sharing is recorded.';
  $('dissent-set').hidden = dissent.recorded;
  $('dissent-lift').hidden = !dissent.recorded;
}

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text ?? '';
  if (className) td.className = className;
}

const ACTIONS = {
  'context.open': 'Opened the record', 'context.end': 'Closed the record', 'record.view': 'Viewed the record',
  'comments.read': 'Read comments', 'comment.add': 'Added a comment', 'comment.retract': 'Retracted a comment',
  'break_glass.grant': 'Emergency access', 'dissent.set': 'Recorded an objection', 'dissent.lift': 'Lifted an objection',
  'dissent.read': 'Checked the objection register', 'access_log.read': 'Read the access log',
};

async function loadAccessLog() {
  const response = await gateway('GET', `/api/v1/contexts/${officerContext}/access-log`);
  // Built aside and swapped in whole, so the table never shows half a log.
  const body = document.createElement('tbody');
  if (!response.ok) cell(body.insertRow(), await errorMessage(response));
  const entries = response.ok ? (await response.json()).entries : [];
  for (const e of entries) {
    const row = body.insertRow();
    cell(row, new Date(e.at).toLocaleString('en-GB'));
    cell(row, e.user_id);
    cell(row, e.role);
    cell(row, e.organisation);
    cell(row, (ACTIONS[e.action] ?? e.action) + (e.break_glass ? ' (emergency access)' : ''), e.break_glass ? 'emergency' : undefined);
    cell(row, e.outcome);
    cell(row, e.purpose);
  }
  $('access-log').tBodies[0].replaceWith(body);
}

// The coded reasons for breaking the glass (mcr_model::BreakGlassReason).
const GLASS_REASONS = {
  'emergency-patient-cannot-be-asked': 'Emergency: the patient cannot be asked',
  'patient-agrees-now': 'The patient is here and agrees to this access',
  safeguarding: 'Safeguarding: risk of serious harm to the patient or others',
  other: 'Another reason',
};

async function loadReviews() {
  const response = await gateway('GET', '/api/v1/break-glass');
  const body = $('reviews').tBodies[0];
  body.replaceChildren();
  if (!response.ok) { cell(body.insertRow(), await errorMessage(response)); return; }
  const { grants } = await response.json();
  if (grants.length === 0) { cell(body.insertRow(), 'Nothing awaits review.'); return; }
  for (const g of grants) {
    const row = body.insertRow();
    cell(row, new Date(g.granted).toLocaleString('en-GB'));
    cell(row, g.user_id);
    cell(row, g.nhs_number.replace(/(\d{3})(\d{3})(\d{4})/, '$1 $2 $3'));
    cell(row, `${GLASS_REASONS[g.code] ?? g.code}: ${g.reason}`);
    cell(row, g.ended ? new Date(g.ended).toLocaleString('en-GB') : 'still in force');
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = 'Mark reviewed';
    button.addEventListener('click', async () => {
      const r = await gateway('POST', `/api/v1/break-glass/${encodeURIComponent(g.id)}/review`);
      if (r.ok) await loadReviews();
    });
    row.insertCell().append(button);
  }
}

async function changeDissent(method) {
  const body = method === 'PUT' ? { reason: 'recorded through the portal' } : undefined;
  const response = await gateway(method, `/api/v1/contexts/${officerContext}/dissent`, body);
  if (!response.ok) $('dissent-state').textContent = await errorMessage(response);
  await Promise.all([loadDissent(), loadAccessLog()]);
}

function signInFailed(e) {
  $('sign-in-error').textContent = `Sign-in failed: ${e.message}`;
  show('sign-in-error', true);
}

$('sign-in').addEventListener('click', () => startSignIn().catch(signInFailed));
$('portal-sign-out').addEventListener('click', () => signOut('You have signed out.'));
$('search-form').addEventListener('submit', search);
$('dissent-set').addEventListener('click', () => changeDissent('PUT'));
$('dissent-lift').addEventListener('click', () => changeDissent('DELETE'));
await init();
const returned = new URLSearchParams(window.location.search);
if (returned.has('code')) await finishSignIn(returned).catch(signInFailed);
