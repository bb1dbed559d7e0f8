// Demo EPR page: a mock hospital EPR around the embedded panel. It obtains a launch
// token from the demo identity provider for the chosen demo user and the patient in
// context, and hands the panel its gateway URL, NHS number, token and the EPR's own
// demographics (for the panel's cross-check) as properties — never the token as an
// attribute, never in browser storage. With the simulator's control URL (demo mode) it
// also lists synthetic patients and switches simulated faults on and off.
import init from '/pkg/mcr_panel.js';

const $ = (id) => document.getElementById(id);
let control = null;
let hostDemographics;

// Launches in order: one that is overtaken by a newer launch (the user switched again
// while its token was being fetched) is dropped, so a late answer can never put the
// earlier user back in the panel.
let launches = 0;

async function launch() {
  const mine = ++launches;
  const status = $('epr-status');
  const user = $('epr-user-select').value;
  const nhsNumber = $('epr-nhs').textContent.replace(/\s/g, '');
  status.textContent = '';
  try {
    await init();
    const response = await fetch('/demo/token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ user, nhs_number: nhsNumber }),
    });
    if (!response.ok) throw new Error(`demo token refused (${response.status})`);
    const { access_token: token } = await response.json();
    if (mine !== launches) return;
    const panel = $('panel');
    panel.gatewayUrl = window.location.origin;
    panel.hostDemographics = hostDemographics;
    panel.nhsNumber = nhsNumber;
    panel.token = token;
  } catch (e) {
    status.textContent = `The panel could not be launched: ${e.message}`;
  }
}

function spaced(nhs) { return nhs.replace(/(\d{3})(\d{3})(\d{4})/, '$1 $2 $3'); }

async function listPatients(q) {
  const response = await fetch(`${control}/patients`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ q, limit: 15 }),
  });
  const { patients } = await response.json();
  const list = $('epr-patient-list');
  list.replaceChildren();
  const current = $('epr-nhs').textContent.replace(/\s/g, '');
  for (const p of patients) {
    const button = document.createElement('button');
    button.type = 'button';
    button.setAttribute('aria-current', String(p.nhs_number === current));
    button.textContent = p.name;
    const detail = document.createElement('small');
    const notes = p.notes.length ? ` · ${p.notes.join(', ')}` : '';
    detail.textContent = `${spaced(p.nhs_number)} · born ${p.birth_date} · ${p.providers.length} other provider${p.providers.length === 1 ? "" : "s"}${notes}`;
    button.append(detail);
    button.addEventListener('click', () => choose(p));
    const item = document.createElement('li');
    item.append(button);
    list.append(item);
  }
}

function choose(p) {
  $('epr-nhs').textContent = spaced(p.nhs_number);
  $('epr-name').textContent = p.name;
  hostDemographics = { familyName: p.family_name, birthDate: p.birth_date };
  for (const b of $('epr-patient-list').querySelectorAll('button')) {
    b.setAttribute('aria-current', String(b === document.activeElement));
  }
  launch();
}

const FAULTS = {
  'slow-gp': [{ source: 'gp', latency: { kind: 'fixed', ms: 6000 } }],
  'hospital-down': ['RR8', 'RAE', 'RCD'].map((ods) => ({ source: ods, fault: { kind: 'status', status: 503 } })),
  'wrong-patient': [{ source: 'gp', fault: { kind: 'wrong-patient' } }],
  clear: [],
};

async function setFault(name, label) {
  const response = await fetch(`${control}/faults`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(FAULTS[name]),
  });
  $('epr-fault-state').textContent = response.ok ? `Now: ${label}.` : `The simulator refused (${response.status}).`;
  launch();
}

async function start() {
  const select = $('epr-user-select');
  select.addEventListener('change', launch);
  launch();
  const config = await (await fetch('/demo/config')).json().catch(() => ({}));
  control = config.control_url;
  if (!control) return;
  $('epr-patients').hidden = false;
  $('epr-faults').hidden = false;
  let timer;
  $('epr-search').addEventListener('input', (e) => {
    clearTimeout(timer);
    timer = setTimeout(() => listPatients(e.target.value), 250);
  });
  for (const b of document.querySelectorAll('[data-fault]')) {
    b.addEventListener('click', () => setFault(b.dataset.fault, b.textContent));
  }
  await listPatients('');
}

start();
