//! The record locator: which sources hold a patient's record.
//!
//! The registered practice comes from the demographics service (PDS-shaped), whose
//! answer also gives the banner's demographics; hospitals and other providers come from
//! the pointers they publish (`PUT /api/v1/locator/pointers`), kept in the store.
//! Pointers carry registry ids, never URLs: a pointer to an id the registry does not
//! know is ignored.

use std::collections::HashMap;
use std::sync::Arc;

use mcr_model::{Demographics, NhsNumber, PracticeRef};

use crate::error::AppError;
use crate::registry::Registry;
use crate::sources::{Source, pds};
use crate::store::Store;

/// Who the patient is and which practice holds their GP record.
pub struct Registration {
    /// Demographics from the demographics service, if it knew the patient.
    pub patient: Option<Demographics>,
    /// The registered practice, if it is connected.
    pub practice: Option<Arc<Source>>,
    /// Anything the clinician should know about how the sources were found.
    pub notes: Vec<String>,
}

/// Finds sources for patients.
pub struct Locator {
    registry: Arc<Registry>,
    sources: HashMap<String, Arc<Source>>,
    store: Arc<dyn Store>,
    http: reqwest::Client,
}

impl Locator {
    /// A locator over `registry`'s sources, reading pointers from `store`.
    pub fn new(registry: Arc<Registry>, store: Arc<dyn Store>, http: reqwest::Client) -> Self {
        let sources = registry
            .sources()
            .iter()
            .map(|c| (c.id.clone(), Arc::new(Source::new(c.clone(), http.clone()))))
            .collect();
        Self {
            registry,
            sources,
            store,
            http,
        }
    }

    /// The registry.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Whether the registered practice comes from a demographics service (asked per
    /// view) rather than being the only practice configured (known at once).
    pub fn asks_demographics(&self) -> bool {
        self.registry.demographics.is_some()
    }

    /// The providers that have published pointers to `nhs`'s record (a quick store
    /// lookup, so their fetches can start while the demographics service is asked).
    pub async fn pointer_sources(&self, nhs: &NhsNumber) -> Result<Vec<Arc<Source>>, AppError> {
        let pointers = self.store.pointers_for(&nhs.as_digits()).await?;
        Ok(pointers
            .iter()
            .filter_map(|p| self.sources.get(&p.source_id).cloned())
            .collect())
    }

    /// The patient's demographics and registered practice, from the demographics service
    /// (or, without one, the only practice configured).
    pub async fn registration(&self, nhs: &NhsNumber) -> Registration {
        let mut found = Registration {
            patient: None,
            practice: None,
            notes: vec![],
        };
        let Some(service) = &self.registry.demographics else {
            found.practice = self
                .registry
                .sole_gp_practice()
                .and_then(|p| self.sources.get(&p.id))
                .cloned();
            return found;
        };
        let deadline = std::time::Duration::from_millis(service.deadline_ms);
        match pds::lookup(&self.http, &service.base_url, deadline, nhs).await {
            Ok(Some(answer)) => {
                let practice = answer
                    .practice_ods
                    .as_deref()
                    .and_then(|ods| self.registry.gp_practice(ods));
                let mut patient = answer.patient;
                patient.registered_practice = answer.practice_ods.as_ref().map(|ods| PracticeRef {
                    ods_code: ods.clone(),
                    name: practice
                        .map(|p| p.organisation.clone())
                        .unwrap_or_else(|| "Not known".into()),
                });
                match (practice, &answer.practice_ods) {
                    (Some(p), _) => found.practice = self.sources.get(&p.id).cloned(),
                    (None, Some(ods)) => found
                        .notes
                        .push(format!("the registered practice ({ods}) is not connected to this shared care record")),
                    (None, None) => found.notes.push("the patient has no registered practice".into()),
                }
                found.patient = Some(patient);
            }
            Ok(None) => found
                .notes
                .push("the demographics service does not know this NHS number".into()),
            Err(e) => found
                .notes
                .push(format!("the demographics service could not be asked: {e}")),
        }
        found
    }
}
