// The panel as the bench page mounts it: the bench build's `render_record_for_bench`
// (src/bench.rs), which renders the clinician's RecordView into a shadow root. Every
// folded section is then opened, so every entry is laid out, as in the peer.
import init, { render_record_for_bench } from './ours/mcr_panel.js';

await init();

window.mcrBenchSubject = {
  /** Parses the Record (JSON text) and renders it into `element`, synchronously. */
  render(element, recordJson) {
    const handle = render_record_for_bench(element, recordJson);
    for (const details of element.shadowRoot.querySelectorAll('details')) {
      details.open = true;
    }
    return handle;
  },
  /** Entries in the DOM. */
  count(element) {
    return element.shadowRoot.querySelectorAll('.mcr-entry').length;
  },
  refusedRequests: [],
};
