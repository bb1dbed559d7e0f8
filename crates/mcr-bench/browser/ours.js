// The panel as the bench page mounts it: the bench build's `mount_for_bench`
// (src/bench.rs), which renders the clinician's RecordView into a shadow root, waiting
// for its sources; `show` then hands it the complete record, as the last source's event
// does. It opens on its Summary tab, as the panel does; a section's entries are built
// when its tab is selected, so what is timed is the first screen a clinician sees.
import init, { mount_for_bench } from './ours/mcr_panel.js';

await init();

let view;

window.mcrBenchSubject = {
  /** Shows the record as it is before any source answers (untimed). */
  prepare(element, recordBytes) {
    const record = JSON.parse(new TextDecoder().decode(recordBytes));
    const waiting = { ...record, sources: [], sections: [] };
    view = mount_for_bench(element, new TextEncoder().encode(JSON.stringify(waiting)));
  },
  /** Reads the Record (its JSON's UTF-8 bytes, as they come from the network) and shows it. */
  render(_element, recordBytes) {
    view.show(recordBytes);
  },
  /** Entries in the DOM: a section's, or the summary's items. */
  count(element) {
    return element.shadowRoot.querySelectorAll('.mcr-entry, .mcr-summary-item').length;
  },
  refusedRequests: [],
};
