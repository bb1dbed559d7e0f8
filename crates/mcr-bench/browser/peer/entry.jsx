// The React peer of the panel suite: Medplum's own patient-summary sections (problems,
// medications, allergies) and its ObservationTable, rendering FHIR R4 resources handed
// over as a Bundle. Mantine and a MedplumClient are around them as in a Medplum app;
// the client is given a fetch that refuses, so nothing can reach a server (any attempt
// is recorded and reported by the bench).
import '@mantine/core/styles.css';
import '@medplum/react/styles.css';

import { MantineProvider } from '@mantine/core';
import { MedplumClient } from '@medplum/core';
import {
  AllergiesSection,
  MedicationsSection,
  MedplumProvider,
  ObservationTable,
  ProblemListSection,
} from '@medplum/react';
import { flushSync } from 'react-dom';
import { createRoot } from 'react-dom/client';

const refusedRequests = [];
const medplum = new MedplumClient({
  baseUrl: 'http://127.0.0.1:9/',
  fetch: (url) => {
    refusedRequests.push(String(url));
    return Promise.reject(new Error('the bench page has no FHIR server'));
  },
});

const ProblemList = ProblemListSection.component;
const Medications = MedicationsSection.component;
const Allergies = AllergiesSection.component;

/** The Bundle's Patient and its other resources grouped by type. */
function readBundle(bundle) {
  const byType = { Condition: [], MedicationRequest: [], AllergyIntolerance: [], Observation: [] };
  let patient;
  for (const { resource } of bundle.entry ?? []) {
    if (resource.resourceType === 'Patient') {
      patient = resource;
    } else {
      byType[resource.resourceType]?.push(resource);
    }
  }
  return { patient, byType };
}

function Summary({ patient, byType }) {
  return (
    <>
      <ProblemList patient={patient} results={{ conditions: byType.Condition }} />
      <Medications
        patient={patient}
        results={{ medicationRequests: byType.MedicationRequest, medicationStatements: [] }}
      />
      <Allergies patient={patient} results={{ allergies: byType.AllergyIntolerance }} />
      <ObservationTable value={byType.Observation} hideObservationNotes />
    </>
  );
}

let root;

// `key` tells React the waiting view and the record's are different sections (Medplum's
// keep the resources they were first given in their own state), so the record's are
// mounted afresh inside the providers the waiting view already set up.
function draw(key, patient, byType) {
  flushSync(() => {
    root.render(
      <MantineProvider>
        <MedplumProvider medplum={medplum}>
          <Summary key={key} patient={patient} byType={byType} />
        </MedplumProvider>
      </MantineProvider>
    );
  });
}

window.mcrBenchSubject = {
  /** Shows the Bundle's patient with no entries yet (untimed). */
  prepare(element, bundleBytes) {
    const { patient } = readBundle(JSON.parse(new TextDecoder().decode(bundleBytes)));
    root = createRoot(element);
    draw('waiting', patient, { Condition: [], MedicationRequest: [], AllergyIntolerance: [], Observation: [] });
  },
  /** Decodes and parses the Bundle (its JSON's UTF-8 bytes) and renders it, synchronously. */
  render(_element, bundleBytes) {
    const { patient, byType } = readBundle(JSON.parse(new TextDecoder().decode(bundleBytes)));
    draw('record', patient, byType);
  },
  /** Entries in the DOM: every entry carries exactly one status badge. */
  count(element) {
    return element.querySelectorAll('.mantine-Badge-root').length;
  },
  refusedRequests,
};
