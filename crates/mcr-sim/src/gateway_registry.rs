//! The gateway's source registry (TOML) for this simulated region: the demographics
//! service, every practice and every provider with its publishing key. Written by
//! `mcr-sim --registry-out FILE` for the demo and used by the gateway's tests; the
//! gateway itself only ever reads a registry file and cannot tell it came from here.

use crate::RunningSim;
use crate::organisations::{PROVIDERS, ProviderKind};
use crate::publisher::{public_key_pem, registry_id};

/// The registry, with `deadline_ms` for every source.
pub fn registry_toml(sim: &RunningSim, deadline_ms: u64) -> String {
    let seed = sim.state.config.seed;
    let mut toml = format!(
        "[demographics]\nbase_url = \"{}\"\ndeadline_ms = 3000\n",
        sim.pds_url()
    );
    for practice in sim.state.population.practices().all() {
        toml.push_str(&format!(
            "\n[[source]]\nid = \"gp-{}\"\norganisation = \"{}\"\nods_code = \"{}\"\nkind = \"gp-practice\"\n\
             protocol = \"gpconnect-stu3\"\nbase_url = \"{}\"\ndeadline_ms = {deadline_ms}\n",
            practice.ods.to_ascii_lowercase(),
            practice.name.replace('"', "'"),
            practice.ods,
            sim.practice_url(&practice.ods),
        ));
    }
    for provider in PROVIDERS {
        let kind = match provider.kind {
            ProviderKind::AcuteTrust => "acute-trust",
            ProviderKind::MentalHealth => "mental-health",
            ProviderKind::Community => "community",
        };
        toml.push_str(&format!(
            "\n[[source]]\nid = \"{}\"\norganisation = \"{}\"\nods_code = \"{}\"\nkind = \"{kind}\"\n\
             protocol = \"fhir-r4\"\nbase_url = \"{}\"\ndeadline_ms = {deadline_ms}\n\
             publisher_public_key_pem = \"\"\"\n{}\"\"\"\n",
            registry_id(provider.ods),
            provider.name,
            provider.ods,
            sim.r4_url(provider.ods),
            public_key_pem(seed, provider.ods),
        ));
    }
    toml
}
