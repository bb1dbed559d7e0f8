//! Normalisation: each protocol's answer mapped to the shared model.
//!
//! GP Connect (STU3) and FHIR R4 resources are close enough that one mapping per
//! resource type ([`resources`]) serves both, reading fields tolerant of either version.
//! Real data is often not valid FHIR: the mapping tolerates what it safely can (an
//! object where a list belongs, missing fields, entries without a resource), drops
//! entered-in-error entries and counts them, flags entries it cannot fully understand
//! (an unknown `modifierExtension`, an unreadable date) rather than showing them as
//! normal, and never loses the rest of an answer because one entry is odd. Whole
//! answers are refused only when they cannot be tied to the requested patient.
//!
//! Answers are read straight from their bodies into the typed, lenient structs of
//! [`types`] (built from [`lenient`]), borrowing strings where they have no escapes,
//! rather than into a `serde_json::Value` tree: only the fields read are built.

pub mod fhir;
pub mod fhir_r4;
pub mod gpconnect;
pub mod html;
pub mod lenient;
pub mod links;
pub mod resources;
pub mod types;
