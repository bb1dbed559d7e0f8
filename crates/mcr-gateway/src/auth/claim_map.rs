//! Which token claims say who the user is: claim names are configurable (an identity
//! provider may call the role `nhsid_nrbac_roles` and the organisation `org_code`), and
//! national RBAC job-role codes such as `R8000` map to the project's roles. A role that
//! maps to nothing is no role at all — deny by default.
//!
//! Configured in the registry file:
//!
//! ```toml
//! [identity.claims]
//! role = "nhsid_nrbac_roles"
//! organisation = "org_code"
//! [identity.roles]
//! R8000 = "hospital-clinician"
//! ```

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::Claims;
use crate::error::AppError;

/// The roles of the default role table (`policy/default.toml`); a configured role table
/// names its own (see [`ClaimMap::with_roles`]).
pub const PROJECT_ROLES: &[&str] = &[
    "hospital-clinician",
    "gp-clinician",
    "social-worker",
    "privacy-officer",
    "patient",
];

/// The claim names.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClaimNames {
    /// The user's id.
    pub user_id: String,
    /// Display name.
    pub name: String,
    /// Role: a string or a list of strings (each maybe `S…:G…:R…` codes).
    pub role: String,
    /// Organisation ODS code.
    pub organisation: String,
    /// For embedded launches: the patient's NHS number.
    pub patient: String,
}

impl Default for ClaimNames {
    fn default() -> Self {
        Self {
            user_id: "sub".into(),
            name: "name".into(),
            role: "role".into(),
            organisation: "org".into(),
            patient: "patient".into(),
        }
    }
}

/// The `[identity]` section of the registry file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimMap {
    /// Claim names.
    #[serde(default)]
    pub claims: ClaimNames,
    /// RBAC codes (or the issuer's own role names) → project roles.
    #[serde(default)]
    pub roles: HashMap<String, String>,
    /// The roles the policy's role table names; the default table's when not set.
    #[serde(skip)]
    known: Option<Vec<String>>,
}

impl ClaimMap {
    /// The map for a policy whose role table names `roles`: a claim naming one of them
    /// is taken as it is, and a mapping must lead to one of them.
    pub fn with_roles(mut self, roles: Vec<String>) -> Self {
        self.known = Some(roles);
        self
    }

    fn is_known(&self, role: &str) -> bool {
        match &self.known {
            Some(known) => known.iter().any(|k| k == role),
            None => PROJECT_ROLES.contains(&role),
        }
    }

    /// Checks every mapped role is a role of the policy.
    pub fn check(&self) -> Result<(), String> {
        for (code, role) in &self.roles {
            if !self.is_known(role) {
                let known: Vec<&str> = match &self.known {
                    Some(k) => k.iter().map(String::as_str).collect(),
                    None => PROJECT_ROLES.to_vec(),
                };
                return Err(format!(
                    "[identity.roles] maps {code:?} to {role:?}, which is not one of the policy's roles {known:?}"
                ));
            }
        }
        Ok(())
    }

    /// The project role for one role value: itself if it is a project role, else the
    /// mapping of the whole value or of any of its `:`-separated codes.
    fn role_of(&self, value: &str) -> Option<String> {
        let value = value.trim();
        if self.is_known(value) {
            return Some(value.to_string());
        }
        std::iter::once(value)
            .chain(value.split(':'))
            .find_map(|code| self.roles.get(code.trim()).cloned())
    }

    /// The claims the gateway uses, from a verified token's payload.
    pub fn claims(&self, raw: &Map<String, Value>) -> Result<Claims, AppError> {
        let text = |name: &str| raw.get(name).and_then(Value::as_str).map(str::to_string);
        let names = &self.claims;
        let sub = text(&names.user_id)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                AppError::Unauthorised(format!("token has no {} claim", names.user_id))
            })?;
        let exp = raw
            .get("exp")
            .and_then(Value::as_i64)
            .ok_or_else(|| AppError::Unauthorised("token has no exp claim".into()))?;
        let role = match raw.get(&names.role) {
            Some(Value::String(s)) => self.role_of(s),
            Some(Value::Array(values)) => values
                .iter()
                .filter_map(Value::as_str)
                .find_map(|s| self.role_of(s)),
            _ => None,
        };
        Ok(Claims {
            sub,
            name: text(&names.name),
            role,
            org: text(&names.organisation),
            patient: text(&names.patient),
            exp,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn the_default_names_read_the_demo_tokens() {
        let c = ClaimMap::default()
            .claims(&map(json!({"sub": "gp", "name": "Dr A", "role": "gp-clinician", "org": "Y90001", "exp": 10})))
            .unwrap();
        assert_eq!(c.sub, "gp");
        assert_eq!(c.role.as_deref(), Some("gp-clinician"));
        assert_eq!(c.org.as_deref(), Some("Y90001"));
    }

    #[test]
    fn configured_names_and_rbac_codes_map_to_project_roles_and_anything_else_to_none() {
        let m: ClaimMap = toml::from_str(
            r#"
            [claims]
            user_id = "uid"
            role = "nhsid_nrbac_roles"
            organisation = "org_code"
            [roles]
            R8000 = "hospital-clinician"
            R8003 = "gp-clinician"
            "#,
        )
        .unwrap();
        m.check().unwrap();
        let c = m
            .claims(&map(json!({"uid": "5551234", "nhsid_nrbac_roles": ["S0080:G0450:R5080", "S8000:G8000:R8000"], "org_code": "RR8", "exp": 10})))
            .unwrap();
        assert_eq!(c.sub, "5551234");
        assert_eq!(
            c.role.as_deref(),
            Some("hospital-clinician"),
            "the first role that maps"
        );
        assert_eq!(c.org.as_deref(), Some("RR8"));
        let unmapped = m
            .claims(&map(
                json!({"uid": "x", "nhsid_nrbac_roles": "S0080:G0450:R5080", "exp": 10}),
            ))
            .unwrap();
        assert_eq!(unmapped.role, None, "deny by default");
        assert!(
            m.claims(&map(json!({"sub": "x", "exp": 10}))).is_err(),
            "no uid"
        );
        let bad: ClaimMap = toml::from_str("[roles]\nR8000 = \"superuser\"").unwrap();
        assert!(bad.check().is_err());
    }
}
