// Demo EPR page: obtains a launch token from the demo identity provider for the chosen
// demo user and the patient in context, then hands the panel its gateway URL, NHS
// number and token as properties (never the token as an attribute, never in browser
// storage). Choosing another user relaunches the panel with that user's token.
import init from '/pkg/mcr_panel.js';

async function launch(user) {
  const status = document.getElementById('epr-status');
  const nhsNumber = document.getElementById('epr-nhs').textContent.replace(/\s/g, '');
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
    const panel = document.getElementById('panel');
    panel.gatewayUrl = window.location.origin;
    panel.nhsNumber = nhsNumber;
    panel.token = token;
  } catch (e) {
    status.textContent = `The panel could not be launched: ${e.message}`;
  }
}

const select = document.getElementById('epr-user-select');
select.addEventListener('change', () => launch(select.value));
launch(select.value);
