// Demo EPR page: obtains a launch token from the demo identity provider for the patient
// in context, then hands the panel its gateway URL, NHS number and token as properties
// (never the token as an attribute, never in browser storage).
import init from '/pkg/mcr_panel.js';

const DEMO_USER = 'ae-doctor';

async function launch() {
  const status = document.getElementById('epr-status');
  const nhsNumber = document.getElementById('epr-nhs').textContent.replace(/\s/g, '');
  try {
    await init();
    const response = await fetch('/demo/token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ user: DEMO_USER, nhs_number: nhsNumber }),
    });
    if (!response.ok) throw new Error(`demo token refused (${response.status})`);
    const { access_token: token } = await response.json();
    const panel = document.getElementById('panel');
    panel.gatewayUrl = window.location.origin;
    panel.nhsNumber = nhsNumber;
    panel.token = token;
  } catch (e) {
    status.textContent = `The panel could not be launched: ${e.message}`;
  }
}

launch();
