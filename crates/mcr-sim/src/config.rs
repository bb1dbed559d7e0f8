//! Simulator configuration: from a TOML file (`mcr-sim serve --config sim.toml`), from
//! flags, or built in code by tests. Every field has a default, so an empty file is a
//! valid configuration.
//!
//! ```toml
//! port = 0
//! seed = 1
//! patients = 100000
//! practices = 80
//! no_relationship = ["X99999"]
//!
//! [[faults]]
//! source = "RR8"                      # an ODS code, "pds", "gp" (every practice) or "*"
//! latency = { kind = "log-normal", median_ms = 120, sigma = 0.6 }
//! fault = { kind = "status", status = 503 }
//! rate = 0.05
//!
//! [[replay]]                          # answer this NHS number from a fixture
//! nhs_number = "9690937286"
//! path = "../shared/fixtures/gpconnect-stu3/correctPatientStructuredRecordResponseNormal.json"
//! kind = "gp-connect"                 # or "fhir-r4" (a folder or a Bundle file)
//! source = "Y90001"                   # optional: only this source replays
//! ```

use serde::{Deserialize, Serialize};

use crate::faults::FaultRule;
use crate::population::{DEFAULT_SEED, DEFAULT_SIZE};
use crate::replay::ReplayRule;

/// The simulator's configuration.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct SimConfig {
    /// Port on 127.0.0.1 (0 lets the OS choose).
    pub port: u16,
    /// Population seed.
    pub seed: u64,
    /// Number of patients (at most two million).
    pub patients: usize,
    /// Number of GP practices (fewer when the population is small).
    pub practices: usize,
    /// ODS codes of requesting organisations that GP practices refuse with
    /// `NO_RELATIONSHIP`.
    pub no_relationship: Vec<String>,
    /// Latency and fault rules applied from start-up.
    pub faults: Vec<FaultRule>,
    /// Fixtures to answer particular NHS numbers from (replay mode).
    pub replay: Vec<ReplayRule>,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            port: 0,
            seed: DEFAULT_SEED,
            patients: DEFAULT_SIZE,
            practices: 80,
            no_relationship: vec!["X99999".into()],
            faults: Vec::new(),
            replay: Vec::new(),
        }
    }
}

impl SimConfig {
    /// Parses a TOML configuration.
    pub fn from_toml(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_file_is_the_default_configuration() {
        assert_eq!(SimConfig::from_toml("").unwrap(), SimConfig::default());
    }

    #[test]
    fn the_documented_example_parses() {
        let text = "port = 0\nseed = 7\npatients = 2000\n\n[[faults]]\nsource = \"RR8\"\nlatency = { kind = \"log-normal\", median_ms = 120, sigma = 0.6 }\nfault = { kind = \"status\", status = 503 }\nrate = 0.05\n";
        let c = SimConfig::from_toml(text).unwrap();
        assert_eq!((c.seed, c.patients), (7, 2000));
        assert_eq!(c.faults.len(), 1);
        assert_eq!(c.faults[0].source, "RR8");
    }

    #[test]
    fn the_example_file_in_the_crate_parses() {
        let c = SimConfig::from_toml(include_str!("../sim.example.toml")).unwrap();
        assert_eq!(c.patients, 100_000);
        assert_eq!(c.faults.len(), 2);
        assert!(c.replay.is_empty());
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(SimConfig::from_toml("patient = 3").is_err());
    }
}
