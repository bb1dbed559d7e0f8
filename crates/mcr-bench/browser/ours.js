// The panel as the bench page mounts it: the bench build's `render_record_for_bench`
// (src/bench.rs), which renders the clinician's RecordView into a shadow root. It opens
// on its Summary tab, as the panel does; a section's entries are built when its tab is
// selected, so what is timed is the first screen a clinician sees.
import init, { render_record_for_bench } from './ours/mcr_panel.js';

await init();

window.mcrBenchSubject = {
  /** Parses the Record (JSON text, handed over as UTF-8 bytes) and renders it into `element`, synchronously. */
  render(element, recordJson) {
    return render_record_for_bench(element, recordJson);
  },
  /** Entries in the DOM: a section's, or the summary's items. */
  count(element) {
    return element.shadowRoot.querySelectorAll('.mcr-entry, .mcr-summary-item').length;
  },
  refusedRequests: [],
};
