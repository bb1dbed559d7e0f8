//! The role table, deny by default: for each role, how it may open a patient context,
//! what it may do in one, and the dataset it sees. Read from configuration (a
//! registry's `[policy.roles.*]` and `[policy.datasets.*]`); the default is the role
//! table of the design, §5 (`default.toml`).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use mcr_model::{SectionKind, SourceKind};
use serde::Deserialize;

use super::dataset::DatasetRule;

/// The default table, as shipped.
pub const DEFAULT_TABLE: &str = include_str!("default.toml");

/// A use of a patient context (or, for `BreakGlassReview`, of the gateway) that a role
/// may be allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Permission {
    /// Read the record (whole, or the role's dataset).
    Record,
    /// Read the comments on a record.
    CommentsRead,
    /// Add and retract comments.
    CommentsWrite,
    /// Break the glass: override the patient's dissent in an emergency, with a reason.
    BreakGlass,
    /// Read a record's whole access log, with user ids.
    AccessLog,
    /// Read the patient's view of their own access log: who (role, organisation), when,
    /// and why.
    OwnAccessLog,
    /// Read and change the dissent register.
    Dissent,
    /// Review break-glass use across patients.
    BreakGlassReview,
}

/// A way to open a patient context.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Opening {
    /// From a launch: the token's patient claim names the patient.
    Launch,
    /// By search, with a stated reason.
    Search,
}

/// One role's row as written in configuration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleConfig {
    /// How it may open a context.
    #[serde(default)]
    pub opens_by: Vec<Opening>,
    /// Whether a search must also give a date of birth that matches the patient's.
    #[serde(default)]
    pub search_needs_birth_date: bool,
    /// What it may do.
    #[serde(default)]
    pub may: Vec<Permission>,
    /// The dataset it sees when not the whole record (a key of `datasets`).
    #[serde(default)]
    pub dataset: Option<String>,
}

/// A dataset as written in configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetConfig {
    /// Its name as shown to the reader.
    pub name: String,
    /// The sections it includes.
    pub sections: Vec<SectionKind>,
    /// Sections in which only current entries are kept.
    #[serde(default)]
    pub current_only: Vec<SectionKind>,
    /// Sections whose entries are sent without narrative or free-text detail.
    #[serde(default)]
    pub without_narrative: Vec<SectionKind>,
    /// Kinds of source neither asked nor named.
    #[serde(default)]
    pub hidden_source_kinds: Vec<SourceKind>,
    /// What else it leaves out, in words.
    pub note: String,
}

/// The table as written in configuration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableConfig {
    /// Role name (as the claim map produces it) → its row.
    #[serde(default)]
    pub roles: BTreeMap<String, RoleConfig>,
    /// Dataset name → dataset.
    #[serde(default)]
    pub datasets: BTreeMap<String, DatasetConfig>,
}

/// One role's rules, checked and resolved.
#[derive(Debug, Clone)]
struct Role {
    launch: bool,
    search: bool,
    search_needs_birth_date: bool,
    may: Vec<Permission>,
    dataset: Option<Arc<DatasetRule>>,
}

/// The policy the gateway enforces.
#[derive(Debug, Clone)]
pub struct Policy {
    roles: HashMap<String, Role>,
}

impl Default for Policy {
    fn default() -> Self {
        let table: TableConfig =
            toml::from_str(DEFAULT_TABLE).expect("the shipped role table is valid TOML");
        Self::new(table).expect("the shipped role table is consistent")
    }
}

impl Policy {
    /// Checks and resolves a table: every dataset a role names must exist; a role's
    /// birth-date rule needs it to search; a dataset applies only to a role that reads
    /// the record.
    pub fn new(table: TableConfig) -> Result<Self, String> {
        let mut datasets: HashMap<&str, Arc<DatasetRule>> = HashMap::new();
        for (key, d) in &table.datasets {
            if d.sections.is_empty() {
                return Err(format!("policy dataset {key:?} includes no section"));
            }
            datasets.insert(
                key,
                Arc::new(DatasetRule {
                    name: d.name.clone(),
                    sections: d.sections.clone(),
                    current_only: d.current_only.clone(),
                    without_narrative: d.without_narrative.clone(),
                    hidden_sources: d.hidden_source_kinds.clone(),
                    note: d.note.clone(),
                }),
            );
        }
        let mut roles = HashMap::new();
        for (name, r) in &table.roles {
            let search = r.opens_by.contains(&Opening::Search);
            if r.search_needs_birth_date && !search {
                return Err(format!(
                    "policy role {name:?} needs a date of birth to search but may not search"
                ));
            }
            let dataset = match &r.dataset {
                None => None,
                Some(_) if !r.may.contains(&Permission::Record) => {
                    return Err(format!(
                        "policy role {name:?} has a dataset but may not read the record"
                    ));
                }
                Some(key) => Some(datasets.get(key.as_str()).cloned().ok_or_else(|| {
                    format!("policy role {name:?} names the dataset {key:?}, which is not defined")
                })?),
            };
            let mut may = r.may.clone();
            may.sort();
            may.dedup();
            roles.insert(
                name.clone(),
                Role {
                    launch: r.opens_by.contains(&Opening::Launch),
                    search,
                    search_needs_birth_date: r.search_needs_birth_date,
                    may,
                    dataset,
                },
            );
        }
        Ok(Self { roles })
    }

    /// The policy from a registry's `[policy]` table: its roles and datasets if it
    /// names any roles, else the default table (a registry that names none keeps the
    /// design's defaults; one that names some states every role it allows).
    pub fn from_config(table: Option<TableConfig>) -> Result<Self, String> {
        match table {
            Some(t) if !t.roles.is_empty() => Self::new(t),
            Some(t) if !t.datasets.is_empty() => {
                Err("policy datasets are defined but no roles use them".into())
            }
            _ => Ok(Self::default()),
        }
    }

    /// The roles the table names.
    pub fn role_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.roles.keys().cloned().collect();
        names.sort();
        names
    }

    fn role(&self, role: Option<&str>) -> Option<&Role> {
        role.and_then(|r| self.roles.get(r))
    }

    /// Whether `role` may do `what`. Deny by default: no role, an unknown role, or a use
    /// its row does not list is refused.
    pub fn allows(&self, role: Option<&str>, what: Permission) -> bool {
        self.role(role).is_some_and(|r| r.may.contains(&what))
    }

    /// Whether `role` may open a context from a launch (the token's patient).
    pub fn may_launch(&self, role: Option<&str>) -> bool {
        self.role(role).is_some_and(|r| r.launch)
    }

    /// Whether `role` may open a context by search, with a reason.
    pub fn may_search(&self, role: Option<&str>) -> bool {
        self.role(role).is_some_and(|r| r.search)
    }

    /// Whether a search by `role` must also give a date of birth that matches.
    pub fn search_needs_birth_date(&self, role: Option<&str>) -> bool {
        self.role(role).is_some_and(|r| r.search_needs_birth_date)
    }

    /// The dataset `role` sees, when it is not the whole record.
    pub fn dataset_for(&self, role: Option<&str>) -> Option<Arc<DatasetRule>> {
        self.role(role).and_then(|r| r.dataset.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLINICIANS: [&str; 2] = ["hospital-clinician", "gp-clinician"];

    #[test]
    fn the_default_table_is_the_designs_role_table() {
        let p = Policy::default();
        use Permission::*;
        for role in CLINICIANS {
            let r = Some(role);
            assert!(p.may_launch(r) && !p.may_search(r), "{role}");
            for what in [Record, CommentsRead, CommentsWrite, BreakGlass] {
                assert!(p.allows(r, what), "{role} {what:?}");
            }
            for what in [AccessLog, OwnAccessLog, Dissent, BreakGlassReview] {
                assert!(!p.allows(r, what), "{role} {what:?}");
            }
            assert!(p.dataset_for(r).is_none(), "{role} sees the whole record");
        }
        let social = Some("social-worker");
        assert!(!p.may_launch(social) && p.may_search(social));
        assert!(p.search_needs_birth_date(social));
        assert!(p.allows(social, Record) && p.allows(social, CommentsRead));
        for what in [
            CommentsWrite,
            BreakGlass,
            AccessLog,
            Dissent,
            BreakGlassReview,
        ] {
            assert!(!p.allows(social, what), "{what:?}");
        }
        let dataset = p.dataset_for(social).expect("the social-care dataset");
        assert_eq!(dataset.name, "social-care dataset");
        assert!(!dataset.shows_source(SourceKind::MentalHealth));
        let officer = Some("privacy-officer");
        assert!(p.may_search(officer) && !p.search_needs_birth_date(officer));
        assert!(!p.may_launch(officer));
        for what in [AccessLog, Dissent, BreakGlassReview] {
            assert!(p.allows(officer, what), "{what:?}");
        }
        for what in [
            Record,
            CommentsRead,
            CommentsWrite,
            BreakGlass,
            OwnAccessLog,
        ] {
            assert!(!p.allows(officer, what), "{what:?}");
        }
        let patient = Some("patient");
        assert!(p.may_launch(patient) && !p.may_search(patient));
        assert!(p.allows(patient, OwnAccessLog) && !p.allows(patient, AccessLog));
        assert!(!p.allows(patient, Record));
    }

    #[test]
    fn anyone_else_gets_nothing() {
        let p = Policy::default();
        for role in [None, Some(""), Some("x"), Some("Hospital-Clinician")] {
            assert!(!p.may_launch(role) && !p.may_search(role), "{role:?}");
            for what in [
                Permission::Record,
                Permission::CommentsRead,
                Permission::AccessLog,
                Permission::OwnAccessLog,
                Permission::BreakGlassReview,
            ] {
                assert!(!p.allows(role, what), "{role:?} {what:?}");
            }
        }
    }

    #[test]
    fn a_configured_table_replaces_the_default_whole() {
        let table: TableConfig = toml::from_str(
            r#"
            [roles.paramedic]
            opens_by = ["launch"]
            may = ["record"]
            dataset = "urgent"
            [datasets.urgent]
            name = "urgent care dataset"
            sections = ["allergies", "medications"]
            note = "allergies and medications"
            "#,
        )
        .unwrap();
        let p = Policy::from_config(Some(table)).unwrap();
        assert!(p.allows(Some("paramedic"), Permission::Record));
        assert_eq!(
            p.dataset_for(Some("paramedic")).unwrap().sections,
            [SectionKind::Allergies, SectionKind::Medications]
        );
        // Roles the file does not name are no longer allowed anything.
        assert!(!p.allows(Some("hospital-clinician"), Permission::Record));
        assert!(!p.may_launch(Some("hospital-clinician")));
    }

    #[test]
    fn an_empty_policy_table_keeps_the_default() {
        let p = Policy::from_config(Some(TableConfig::default())).unwrap();
        assert!(p.allows(Some("gp-clinician"), Permission::Record));
        assert!(
            Policy::from_config(None)
                .unwrap()
                .may_search(Some("social-worker"))
        );
    }

    #[test]
    fn inconsistent_tables_are_refused_with_a_reason() {
        for (toml_text, says) in [
            (
                "[roles.a]\nmay = [\"record\"]\ndataset = \"missing\"",
                "not defined",
            ),
            (
                "[roles.a]\nopens_by = [\"launch\"]\nsearch_needs_birth_date = true",
                "may not search",
            ),
            (
                "[roles.a]\nmay = [\"access-log\"]\ndataset = \"d\"\n[datasets.d]\nname = \"d\"\nsections = [\"problems\"]\nnote = \"\"",
                "may not read the record",
            ),
            (
                "[roles.a]\nmay = [\"record\"]\ndataset = \"d\"\n[datasets.d]\nname = \"d\"\nsections = []\nnote = \"\"",
                "no section",
            ),
            (
                "[datasets.d]\nname = \"d\"\nsections = [\"problems\"]\nnote = \"\"",
                "no roles",
            ),
        ] {
            let table: TableConfig = toml::from_str(toml_text).unwrap();
            let err = Policy::from_config(Some(table)).unwrap_err();
            assert!(err.contains(says), "{toml_text}: {err}");
        }
        for bad in [
            "[roles.a]\nmay = [\"everything\"]",
            "[roles.a]\nopens_by = [\"telepathy\"]",
            "[roles.a]\nsees = \"all\"",
        ] {
            assert!(toml::from_str::<TableConfig>(bad).is_err(), "{bad}");
        }
    }
}
