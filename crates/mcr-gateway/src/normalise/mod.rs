//! Normalisation: each protocol's answer mapped to the shared model.
//!
//! Real GP data is often not valid FHIR. The normalisers tolerate what they safely can
//! (an object where a list belongs, missing optional fields, entries without a
//! resource), drop entered-in-error entries, and refuse the whole answer only when it
//! cannot be tied to the requested patient.

pub mod gpconnect;
