// The patient's page: sign in (a demo patient in demo mode) and see who has accessed
// your record — role, organisation, when and why — and nothing clinical. The token is
// kept in memory only; all gateway text is inserted with textContent.
const $ = (id) => document.getElementById(id);

const ROLES = {
  'hospital-clinician': 'A hospital clinician', 'gp-clinician': 'A GP', 'social-worker': 'A social worker',
  'privacy-officer': 'A privacy officer', patient: 'You',
};
const ACTIONS = {
  'context.open': 'Opened your record', 'record.view': 'Viewed your record', 'comments.read': 'Read comments on your record',
  'comment.add': 'Added a comment to your record', 'break_glass.grant': 'Used emergency access to your record',
};

function fail(message) {
  $('patient-error').textContent = message;
  $('patient-error').hidden = !message;
}

async function signIn(event) {
  event.preventDefault();
  const nhs = $('patient-nhs').value.replace(/[\s-]/g, '');
  if (!/^\d{10}$/.test(nhs)) return fail('Enter your NHS number: 10 digits.');
  fail('');
  const tokenResponse = await fetch('/demo/token', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ user: 'patient', nhs_number: nhs }),
  });
  if (!tokenResponse.ok) return fail((await tokenResponse.json()).message);
  const { access_token: token } = await tokenResponse.json();
  const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
  const opened = await fetch('/api/v1/contexts', { method: 'POST', headers, body: JSON.stringify({ nhs_number: nhs }) });
  if (!opened.ok) return fail((await opened.json()).message);
  const { context_id: ctx } = await opened.json();
  const log = await fetch(`/api/v1/contexts/${ctx}/access-log`, { headers });
  if (!log.ok) return fail((await log.json()).message);
  const body = $('patient-table').tBodies[0];
  body.replaceChildren();
  for (const e of (await log.json()).entries) {
    const row = body.insertRow();
    for (const text of [
      new Date(e.at).toLocaleString('en-GB'),
      ROLES[e.role] ?? 'Someone',
      e.organisation ?? '',
      (ACTIONS[e.action] ?? e.action) + (e.outcome === 'refused' ? ' (refused)' : ''),
      e.purpose ?? '',
    ]) row.insertCell().textContent = text;
    if (e.break_glass) row.className = 'emergency';
  }
  // The context is not needed any more.
  fetch(`/api/v1/contexts/${ctx}`, { method: 'DELETE', headers });
  $('patient-sign-in').hidden = true;
  $('patient-log').hidden = false;
  $('patient-sign-out').hidden = false;
}

$('patient-form').addEventListener('submit', signIn);
$('patient-sign-out').addEventListener('click', () => {
  $('patient-table').tBodies[0].replaceChildren();
  $('patient-log').hidden = true;
  $('patient-sign-out').hidden = true;
  $('patient-sign-in').hidden = false;
});
