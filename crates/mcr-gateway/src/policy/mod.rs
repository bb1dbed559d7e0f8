//! The role policy, deny by default: which roles see the record and in which dataset,
//! which may open a context by search (and with what), which may read or write
//! comments, break the glass, or read access logs (the role table of the design, §5).

pub mod dataset;
pub mod sensitive;

pub use dataset::{DatasetRule, SOCIAL_CARE};
pub use sensitive::{DEFAULT_SENSITIVE, SNOMED, SensitiveCodes};

/// Roles that see clinical data.
pub const CLINICAL_ROLES: &[&str] = &["hospital-clinician", "gp-clinician"];
/// The privacy officer's role.
pub const PRIVACY_OFFICER: &str = "privacy-officer";
/// The social worker's role.
pub const SOCIAL_WORKER: &str = "social-worker";
/// A patient, looking at their own record's access log.
pub const PATIENT: &str = "patient";

/// Whether `role` may see clinical data.
pub fn may_view_clinical(role: Option<&str>) -> bool {
    role.is_some_and(|r| CLINICAL_ROLES.contains(&r))
}

/// Whether `role` may read the record at all: clinicians (whole) and social workers
/// (the social-care dataset).
pub fn may_view_record(role: Option<&str>) -> bool {
    may_view_clinical(role) || role == Some(SOCIAL_WORKER)
}

/// The dataset `role` sees, when it is not the whole record.
pub fn dataset_for(role: Option<&str>) -> Option<&'static DatasetRule> {
    (role == Some(SOCIAL_WORKER)).then_some(&SOCIAL_CARE)
}

/// Whether `role` may open a context from a launch (the token's patient): clinicians
/// from their EPR, and patients for themselves. Others open records by search.
pub fn may_launch(role: Option<&str>) -> bool {
    may_view_clinical(role) || role == Some(PATIENT)
}

/// Whether `role` may open a context by searching (with a reason) rather than a launch.
pub fn may_search(role: Option<&str>) -> bool {
    matches!(role, Some(PRIVACY_OFFICER | SOCIAL_WORKER))
}

/// Whether a search by `role` must also give a date of birth that matches the patient's.
pub fn search_needs_birth_date(role: Option<&str>) -> bool {
    role == Some(SOCIAL_WORKER)
}

/// Whether `role` may read the comments on a record: clinicians and social workers.
pub fn may_read_comments(role: Option<&str>) -> bool {
    may_view_clinical(role) || role == Some(SOCIAL_WORKER)
}

/// Whether `role` may add comments: clinicians only.
pub fn may_write_comments(role: Option<&str>) -> bool {
    may_view_clinical(role)
}

/// Whether `role` may break the glass (an emergency override of the patient's dissent).
pub fn may_break_glass(role: Option<&str>) -> bool {
    may_view_clinical(role)
}

/// Whether `role` may read a record's access log: the patient (their own) and privacy officers.
pub fn may_read_access_log(role: Option<&str>) -> bool {
    matches!(role, Some(PRIVACY_OFFICER | PATIENT))
}

/// Whether `role` reviews break-glass use: privacy officers.
pub fn may_review_break_glass(role: Option<&str>) -> bool {
    role == Some(PRIVACY_OFFICER)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_clinicians_see_clinical_data_and_only_officers_and_social_workers_search() {
        assert!(
            may_view_clinical(Some("hospital-clinician"))
                && may_view_clinical(Some("gp-clinician"))
        );
        for role in [
            Some("privacy-officer"),
            Some("social-worker"),
            Some("patient"),
            Some("x"),
            None,
        ] {
            assert!(!may_view_clinical(role), "{role:?}");
        }
        assert!(may_search(Some("privacy-officer")) && may_search(Some("social-worker")));
        assert!(!may_search(Some("hospital-clinician")) && !may_search(None));
        assert!(search_needs_birth_date(Some("social-worker")));
        assert!(!search_needs_birth_date(Some("privacy-officer")));
    }

    #[test]
    fn clinicians_and_patients_launch_and_everyone_else_searches() {
        for role in ["hospital-clinician", "gp-clinician", "patient"] {
            assert!(may_launch(Some(role)), "{role}");
        }
        for role in [
            Some("social-worker"),
            Some("privacy-officer"),
            Some("x"),
            None,
        ] {
            assert!(!may_launch(role), "{role:?}");
        }
    }

    #[test]
    fn social_workers_see_the_record_only_in_the_social_care_dataset() {
        assert!(may_view_record(Some("social-worker")));
        assert_eq!(dataset_for(Some("social-worker")), Some(&SOCIAL_CARE));
        for role in ["hospital-clinician", "gp-clinician"] {
            assert!(may_view_record(Some(role)) && dataset_for(Some(role)).is_none());
        }
        for role in [Some("privacy-officer"), Some("patient"), None] {
            assert!(!may_view_record(role), "{role:?}");
        }
    }

    #[test]
    fn break_glass_is_for_clinicians_and_its_review_and_access_logs_for_officers_and_patients() {
        for role in ["hospital-clinician", "gp-clinician"] {
            assert!(may_break_glass(Some(role)));
            assert!(!may_read_access_log(Some(role)) && !may_review_break_glass(Some(role)));
        }
        for role in [
            Some("social-worker"),
            Some("patient"),
            Some("privacy-officer"),
            None,
        ] {
            assert!(!may_break_glass(role), "{role:?}");
        }
        assert!(
            may_read_access_log(Some("patient")) && may_read_access_log(Some("privacy-officer"))
        );
        assert!(!may_read_access_log(Some("social-worker")) && !may_read_access_log(None));
        assert!(may_review_break_glass(Some("privacy-officer")));
        assert!(!may_review_break_glass(Some("patient")));
    }

    #[test]
    fn comments_follow_the_role_table_clinicians_write_social_workers_read() {
        for role in ["hospital-clinician", "gp-clinician"] {
            assert!(may_read_comments(Some(role)) && may_write_comments(Some(role)));
        }
        assert!(may_read_comments(Some("social-worker")));
        assert!(!may_write_comments(Some("social-worker")));
        for role in [Some("privacy-officer"), Some("patient"), Some("x"), None] {
            assert!(
                !may_read_comments(role) && !may_write_comments(role),
                "{role:?}"
            );
        }
    }
}
