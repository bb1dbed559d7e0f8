//! The source registry: every system the gateway may read from, from a TOML file.
//!
//! ```toml
//! [demographics]                      # the PDS-style service the locator asks first
//! base_url = "https://pds.example/FHIR/R4"
//!
//! [[source]]
//! id = "rr8"
//! organisation = "Leeds Teaching Hospitals NHS Trust"
//! ods_code = "RR8"
//! kind = "acute-trust"                # gp-practice, acute-trust, mental-health, community, ambulance, social-care
//! protocol = "fhir-r4"                # or gpconnect-stu3
//! base_url = "https://fhir.rr8.example/R4"
//! deadline_ms = 8000                  # optional (default 8000)
//! concurrency = 32                    # optional: requests in flight to this source
//! publisher_public_key_pem = "…"      # or publisher_jwks_url: the key it signs pointer updates with
//!
//! [policy]                            # optional: the design's defaults otherwise
//! sensitive_codes = ["http://snomed.info/sct|105629000", "http://read.info/readv2|…"]
//! sensitive_terms = ["chlamydia", "in vitro fertilisation"]   # free text that withholds
//! [policy.roles.social-worker]        # naming any role replaces the whole role table
//! opens_by = ["search"]
//! search_needs_birth_date = true
//! may = ["record", "comments-read"]
//! dataset = "social-care"
//! [policy.datasets.social-care]       # see policy/default.toml for every setting
//! name = "social-care dataset"
//! sections = ["problems", "medications", "allergies", "encounters", "care_plans"]
//! note = "…"
//! ```
//!
//! Adding a source of a known protocol is configuration only; adding a protocol is one
//! new adapter in `sources/`.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use mcr_model::{SourceKind, SourceRef};
use serde::Deserialize;

/// The protocol a source speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Protocol {
    /// GP Connect Access Record Structured (FHIR STU3).
    GpconnectStu3,
    /// FHIR R4 (UK Core).
    FhirR4,
}

fn default_deadline() -> u64 {
    8_000
}

fn default_concurrency() -> usize {
    32
}

/// One source as configured.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    /// Registry id (also the `sub` of the source's own publishing token).
    pub id: String,
    /// Organisation name, shown beside its entries.
    pub organisation: String,
    /// ODS code.
    pub ods_code: String,
    /// Kind of organisation.
    pub kind: SourceKind,
    /// Protocol.
    pub protocol: Protocol,
    /// Base URL of its FHIR endpoint.
    pub base_url: String,
    /// How long to wait for it.
    #[serde(default = "default_deadline")]
    pub deadline_ms: u64,
    /// Requests in flight to it at most.
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    /// JWKS URL of the key it signs locator updates with.
    #[serde(default)]
    pub publisher_jwks_url: Option<String>,
    /// PEM public key it signs locator updates with.
    #[serde(default)]
    pub publisher_public_key_pem: Option<String>,
}

impl SourceConfig {
    /// The reference carried by its entries and status.
    pub fn reference(&self) -> SourceRef {
        SourceRef {
            id: self.id.clone(),
            organisation: self.organisation.clone(),
            ods_code: self.ods_code.clone(),
            kind: self.kind,
        }
    }

    /// Its deadline.
    pub fn deadline(&self) -> Duration {
        Duration::from_millis(self.deadline_ms)
    }
}

/// The demographics service.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemographicsConfig {
    /// Base URL (FHIR R4, PDS-shaped).
    pub base_url: String,
    /// How long to wait for it.
    #[serde(default = "default_deadline")]
    pub deadline_ms: u64,
}

/// Policy settings kept with the registry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    /// `system|code` codes whose entries are withheld; the built-in list if absent.
    #[serde(default)]
    pub sensitive_codes: Option<Vec<String>>,
    /// Words and phrases whose mention in an entry's free text withholds it; the
    /// built-in list if absent (an empty list: only coded entries and notes naming them).
    #[serde(default)]
    pub sensitive_terms: Option<Vec<String>>,
    /// The role table (`policy/table.rs`); the design's default if no role is named.
    #[serde(default)]
    pub roles: std::collections::BTreeMap<String, crate::policy::table::RoleConfig>,
    /// Datasets the role table names.
    #[serde(default)]
    pub datasets: std::collections::BTreeMap<String, crate::policy::table::DatasetConfig>,
}

/// The registry file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryFile {
    /// Policy settings.
    #[serde(default)]
    pub policy: PolicyConfig,
    /// Which token claims say who the user is, and how RBAC codes map to roles.
    #[serde(default)]
    pub identity: crate::auth::claim_map::ClaimMap,
    /// The demographics service, if any.
    #[serde(default)]
    pub demographics: Option<DemographicsConfig>,
    /// The sources.
    #[serde(default, rename = "source")]
    pub sources: Vec<SourceConfig>,
}

/// The loaded registry, indexed.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    /// The demographics service, if any.
    pub demographics: Option<DemographicsConfig>,
    /// Claim names and role mapping.
    pub identity: crate::auth::claim_map::ClaimMap,
    policy: PolicyConfig,
    access: Arc<crate::policy::Policy>,
    sources: Vec<Arc<SourceConfig>>,
    by_id: HashMap<String, usize>,
    gp_by_ods: HashMap<String, usize>,
}

impl Registry {
    /// Builds a registry, refusing duplicate ids or a source with no URL.
    pub fn new(file: RegistryFile) -> Result<Self, String> {
        let access = crate::policy::Policy::from_config(Some(crate::policy::TableConfig {
            roles: file.policy.roles.clone(),
            datasets: file.policy.datasets.clone(),
        }))?;
        let identity = file.identity.with_roles(access.role_names());
        identity.check()?;
        let mut registry = Registry {
            demographics: file.demographics,
            identity,
            policy: file.policy,
            access: Arc::new(access),
            ..Default::default()
        };
        for (i, source) in file.sources.into_iter().enumerate() {
            if source.base_url.trim().is_empty() {
                return Err(format!("source {:?} has no base_url", source.id));
            }
            if registry.by_id.insert(source.id.clone(), i).is_some() {
                return Err(format!("source id {:?} appears twice", source.id));
            }
            if source.kind == SourceKind::GpPractice {
                registry
                    .gp_by_ods
                    .insert(source.ods_code.to_ascii_uppercase(), i);
            }
            registry.sources.push(Arc::new(source));
        }
        Ok(registry)
    }

    /// Reads a registry file.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the source registry {}: {e}", path.display()))?;
        let file: RegistryFile = toml::from_str(&text)
            .map_err(|e| format!("the source registry {} is invalid: {e}", path.display()))?;
        Self::new(file)
    }

    /// The sensitive codes and terms: each the configured list, or the built-in one.
    pub fn sensitive_codes(&self) -> crate::policy::SensitiveCodes {
        use crate::policy::sensitive::{DEFAULT_SENSITIVE, DEFAULT_SENSITIVE_TERMS};
        let codes = match &self.policy.sensitive_codes {
            Some(codes) => codes.clone(),
            None => DEFAULT_SENSITIVE
                .iter()
                .map(|(s, c)| format!("{s}|{c}"))
                .collect(),
        };
        let terms = match &self.policy.sensitive_terms {
            Some(terms) => terms.clone(),
            None => DEFAULT_SENSITIVE_TERMS
                .iter()
                .map(|t| t.to_string())
                .collect(),
        };
        crate::policy::SensitiveCodes::with_terms(codes, terms)
    }

    /// The role table the gateway enforces.
    pub fn access_policy(&self) -> Arc<crate::policy::Policy> {
        self.access.clone()
    }

    /// Every source.
    pub fn sources(&self) -> &[Arc<SourceConfig>] {
        &self.sources
    }

    /// The source with this registry id.
    pub fn by_id(&self, id: &str) -> Option<&Arc<SourceConfig>> {
        self.by_id.get(id).map(|i| &self.sources[*i])
    }

    /// The GP practice with this ODS code.
    pub fn gp_practice(&self, ods: &str) -> Option<&Arc<SourceConfig>> {
        self.gp_by_ods
            .get(&ods.to_ascii_uppercase())
            .map(|i| &self.sources[*i])
    }

    /// The only GP practice, when there is exactly one and no demographics service to
    /// say which practice a patient is registered with (a single-practice deployment).
    pub fn sole_gp_practice(&self) -> Option<&Arc<SourceConfig>> {
        match self.gp_by_ods.values().collect::<Vec<_>>().as_slice() {
            [only] => Some(&self.sources[**only]),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
        [demographics]
        base_url = "http://pds.invalid/FHIR/R4"

        [[source]]
        id = "gp-y90001"
        organisation = "Riverside Medical Practice"
        ods_code = "Y90001"
        kind = "gp-practice"
        protocol = "gpconnect-stu3"
        base_url = "http://gp.invalid/Y90001/STU3/1/gpconnect/structured/fhir"

        [[source]]
        id = "rr8"
        organisation = "Leeds Teaching Hospitals NHS Trust"
        ods_code = "RR8"
        kind = "acute-trust"
        protocol = "fhir-r4"
        base_url = "http://rr8.invalid/r4"
        deadline_ms = 2000
    "#;

    #[test]
    fn a_registry_file_is_read_with_defaults() {
        let r = Registry::new(toml::from_str(FILE).unwrap()).unwrap();
        assert_eq!(r.sources().len(), 2);
        assert_eq!(r.by_id("rr8").unwrap().deadline(), Duration::from_secs(2));
        assert_eq!(r.gp_practice("y90001").unwrap().deadline_ms, 8_000);
        assert_eq!(r.sole_gp_practice().unwrap().id, "gp-y90001");
        assert_eq!(r.by_id("rr8").unwrap().protocol, Protocol::FhirR4);
    }

    #[test]
    fn configured_sensitive_codes_of_any_system_and_terms_replace_the_built_in_lists() {
        let file = format!(
            "[policy]\nsensitive_codes = [\"http://read.info/readv2|XaXaX\"]\nsensitive_terms = [\"Pregnancy test\"]\n{FILE}"
        );
        let r = Registry::new(toml::from_str(&file).unwrap()).unwrap();
        let source = r.by_id("rr8").unwrap().reference();
        let entry = |id: &str, title: &str, system: &str, code: &str| {
            let mut e = mcr_model::Entry::new(id, source.clone(), title);
            e.codes = vec![mcr_model::Coding {
                system: Some(system.into()),
                code: Some(code.into()),
                display: None,
            }];
            e
        };
        let mut sections = vec![mcr_model::Section {
            kind: mcr_model::SectionKind::Problems,
            entries: vec![
                entry(
                    "read",
                    "Read-coded item",
                    "http://read.info/readv2",
                    "XaXaX",
                ),
                entry(
                    "term",
                    "Pregnancy test positive",
                    "http://snomed.info/sct",
                    "1",
                ),
                // The built-in code and term lists no longer apply.
                entry("hiv", "HIV infection", "http://snomed.info/sct", "86406008"),
            ],
        }];
        assert_eq!(r.sensitive_codes().withhold(&mut sections, &[]), 2);
        assert_eq!(sections[0].entries[0].id, "hiv");
    }

    /// Regression: the `[policy]` and `[identity]` sections were once read but not kept.
    #[test]
    fn the_policy_and_identity_sections_are_kept() {
        let file = format!(
            "[policy]\nsensitive_codes = [\"http://snomed.info/sct|38341003\"]\n[identity.claims]\nrole = \"roles\"\n[identity.roles]\nR8000 = \"hospital-clinician\"\n{FILE}"
        );
        let r = Registry::new(toml::from_str(&file).unwrap()).unwrap();
        let mut entry =
            mcr_model::Entry::new("1", r.by_id("rr8").unwrap().reference(), "Hypertension");
        entry.codes = vec![mcr_model::Coding {
            system: Some("http://snomed.info/sct".into()),
            code: Some("38341003".into()),
            display: None,
        }];
        assert!(
            r.sensitive_codes().is_sensitive(&entry),
            "the configured list, not the built-in one"
        );
        assert_eq!(r.identity.claims.role, "roles");
        assert_eq!(r.identity.roles["R8000"], "hospital-clinician");
        let bad = format!("[identity.roles]\nR8000 = \"root\"\n{FILE}");
        assert!(Registry::new(toml::from_str(&bad).unwrap()).is_err());
    }

    #[test]
    fn duplicate_ids_and_unknown_fields_are_refused() {
        let doubled = format!(
            "{FILE}\n[[source]]\nid = \"rr8\"\norganisation = \"x\"\nods_code = \"X\"\nkind = \"community\"\nprotocol = \"fhir-r4\"\nbase_url = \"http://x.invalid\"\n"
        );
        assert!(
            Registry::new(toml::from_str(&doubled).unwrap())
                .unwrap_err()
                .contains("twice")
        );
        let typo = FILE.replace("deadline_ms", "deadline");
        assert!(toml::from_str::<RegistryFile>(&typo).is_err());
    }
}
