//! Simulated source systems for My Care Record, serving a deterministic synthetic UK
//! population over real HTTP on one loopback port:
//!
//! - every GP practice speaks GP Connect Access Record Structured (FHIR STU3) under its
//!   own ODS code ([`gpconnect`]);
//! - three acute trusts, a mental-health trust and a community provider speak FHIR R4
//!   under `/r4/{ods}` ([`fhir_r4`]);
//! - a PDS-shaped demographics service answers under `/pds` ([`pds`]);
//! - `/_control` lists endpoints and example patients and changes latency and faults at
//!   run time ([`control`], [`faults`]).
//!
//! The gateway must not be able to tell these servers from real ones. Patients are
//! generated from (seed, index) on demand ([`population`]), so memory stays flat and the
//! same seed gives byte-identical responses.

pub mod codes;
pub mod config;
pub mod control;
pub mod dates;
pub mod directory;
pub mod faults;
pub mod fhir_r4;
pub mod gateway_registry;
pub mod gp_record;
pub mod gpconnect;
pub mod hospital_record;
pub mod ids;
pub mod names;
pub mod nhs_range;
pub mod organisations;
pub mod pds;
pub mod population;
pub mod publisher;
pub mod replay;
pub mod rng;
pub mod samples;
pub mod state;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub use config::SimConfig;
use faults::FaultTable;
use organisations::PROVIDERS;
use population::Population;
use state::SimState;

/// ODS code of the first simulated GP practice (the demo patient's).
pub const PRACTICE_ODS: &str = organisations::FIRST_PRACTICE_ODS;
/// Name of the first simulated GP practice.
pub const PRACTICE_NAME: &str = organisations::FIRST_PRACTICE_NAME;

/// One endpoint the simulator serves.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Endpoint {
    /// `gp-connect`, `fhir-r4`, `pds` or `control`.
    pub kind: &'static str,
    /// The ODS code, or the service name.
    pub id: String,
    /// The organisation's name.
    pub name: String,
    /// The base URL.
    pub url: String,
}

/// The whole application: every source and the control endpoint.
pub fn app(state: SimState) -> Router {
    Router::new()
        .merge(gpconnect::router())
        .merge(fhir_r4::router())
        .merge(pds::router())
        .merge(control::router())
        .layer(axum::middleware::from_fn_with_state(
            state.faults.clone(),
            faults::apply,
        ))
        .with_state(state)
}

/// A running simulator.
pub struct RunningSim {
    /// The address it listens on.
    pub addr: SocketAddr,
    /// The shared state (population, configuration, faults).
    pub state: SimState,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl RunningSim {
    /// The GP Connect FHIR base URL of the demo patient's practice.
    pub fn gp_base_url(&self) -> String {
        self.practice_url(PRACTICE_ODS)
    }

    /// The GP Connect FHIR base URL of practice `ods`.
    pub fn practice_url(&self, ods: &str) -> String {
        format!(
            "http://{}/{ods}/STU3/1/gpconnect/structured/fhir",
            self.addr
        )
    }

    /// The FHIR R4 base URL of provider `ods`.
    pub fn r4_url(&self, ods: &str) -> String {
        format!("http://{}/r4/{ods}", self.addr)
    }

    /// The demographics service base URL.
    pub fn pds_url(&self) -> String {
        format!("http://{}/pds/FHIR/R4", self.addr)
    }

    /// The control endpoint base URL.
    pub fn control_url(&self) -> String {
        format!("http://{}/_control", self.addr)
    }

    /// Every endpoint, the demo patient's practice first.
    pub fn endpoints(&self) -> Vec<Endpoint> {
        let mut out: Vec<Endpoint> = self
            .state
            .population
            .practices()
            .all()
            .iter()
            .map(|p| Endpoint {
                kind: "gp-connect",
                id: p.ods.clone(),
                name: p.name.clone(),
                url: self.practice_url(&p.ods),
            })
            .collect();
        out.extend(PROVIDERS.iter().map(|p| Endpoint {
            kind: "fhir-r4",
            id: p.ods.to_string(),
            name: p.name.to_string(),
            url: self.r4_url(p.ods),
        }));
        out.push(Endpoint {
            kind: "pds",
            id: "pds".into(),
            name: "Personal Demographics Service (simulated)".into(),
            url: self.pds_url(),
        });
        out.push(Endpoint {
            kind: "control",
            id: "control".into(),
            name: "Simulator control".into(),
            url: self.control_url(),
        });
        out
    }

    /// Stops accepting connections, finishes in-flight requests and waits.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Starts the simulator on 127.0.0.1 and `config.port` (0 lets the OS choose).
pub async fn start(config: SimConfig) -> std::io::Result<RunningSim> {
    let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), config.port);
    start_on(addr, config).await
}

/// Starts the simulator on `addr`.
pub async fn start_on(addr: SocketAddr, config: SimConfig) -> std::io::Result<RunningSim> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let state = SimState {
        population: Population::with_seed(config.patients, config.seed, config.practices),
        replays: replay::Replays::load(&config.replay)?,
        faults: FaultTable::new(config.faults.clone()),
        publisher: publisher::Publisher::default(),
        config: Arc::new(config),
    };
    let (tx, rx) = oneshot::channel::<()>();
    let service = app(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, service)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
        if let Err(e) = served {
            tracing::error!(error = %e, "simulator stopped");
        }
    });
    Ok(RunningSim {
        addr,
        state,
        shutdown: Some(tx),
        task: Some(task),
    })
}

/// Binds `listener_addr` (use port 0 in tests) and serves a population of `population`
/// patients under the default seed in the background.
pub async fn spawn(listener_addr: SocketAddr, population: usize) -> std::io::Result<RunningSim> {
    let config = SimConfig {
        patients: population,
        ..SimConfig::default()
    };
    start_on(listener_addr, config).await
}
