// The bench page's harness, the same for both subjects: `bench.html?subject=ours|peer&n=N`
// loads the subject and its data and has it draw what it shows while it waits for the
// data (untimed: the patient and no entries, as a viewer is on screen before the record
// arrives), then `window.mcrBenchRun()` times, with performance marks, from handing the
// data over — the last byte of it: its JSON's UTF-8 bytes, as they come from the
// network, which each subject decodes and parses as it would a response's — to the frame
// after the entries are in the DOM: the end mark is set in a task queued from
// requestAnimationFrame, which runs once that frame's style, layout and paint are done.
const params = new URLSearchParams(location.search);
const subject = params.get('subject');
const n = params.get('n');

async function loadSubject() {
  if (subject === 'ours') {
    await import('./ours.js');
    return fetch(`data/record-${n}.json`);
  }
  const css = document.createElement('link');
  css.rel = 'stylesheet';
  css.href = 'peer/entry.css';
  const loaded = new Promise((resolve, reject) => {
    css.onload = resolve;
    css.onerror = reject;
  });
  document.head.append(css);
  await Promise.all([loaded, import('./peer/entry.js')]);
  return fetch(`data/fhir-${n}.json`);
}

function afterNextFrame() {
  return new Promise((resolve) => {
    requestAnimationFrame(() => {
      const channel = new MessageChannel();
      channel.port1.onmessage = resolve;
      channel.port2.postMessage(null);
    });
  });
}

const response = await loadSubject();
const data = new Uint8Array(await response.arrayBuffer());
// What is on screen before the data: drawn, and a frame gone by, before the timed span.
window.mcrBenchSubject.prepare(document.getElementById('host'), data);
await afterNextFrame();

window.mcrBenchRun = async () => {
  const host = document.getElementById('host');
  const impl = window.mcrBenchSubject;
  performance.mark('mcr-bench-start');
  impl.render(host, data);
  await afterNextFrame();
  performance.mark('mcr-bench-end');
  const measure = performance.measure('mcr-bench-render', 'mcr-bench-start', 'mcr-bench-end');
  return {
    ms: measure.duration,
    entries: impl.count(host),
    refusedRequests: impl.refusedRequests.length,
  };
};
window.mcrBenchReady = true;
