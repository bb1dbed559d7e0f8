//! Simulated source systems for My Care Record: a GP practice speaking GP Connect Access
//! Record Structured (FHIR STU3) over real HTTP, serving a small deterministic synthetic
//! population.
//!
//! The gateway must not be able to tell these servers from real ones: they check the
//! headers and body a real GP Connect provider checks and answer with the same shapes,
//! including `OperationOutcome` errors. The population is generated from the patient's
//! index, so the same seed always gives the same people.

pub mod gpconnect;
pub mod population;

use std::net::SocketAddr;

use tokio::net::TcpListener;

/// ODS code of the simulated GP practice.
pub const PRACTICE_ODS: &str = "Y90001";
/// Name of the simulated GP practice.
pub const PRACTICE_NAME: &str = "Riverside Medical Practice";

/// A running simulated GP practice.
pub struct RunningSim {
    /// The address it listens on (127.0.0.1 and the port the OS gave it).
    pub addr: SocketAddr,
    /// The background task serving requests; abort it to stop the server.
    pub task: tokio::task::JoinHandle<()>,
}

impl RunningSim {
    /// The base URL of the practice's GP Connect FHIR endpoint.
    pub fn gp_base_url(&self) -> String {
        gp_base_url(self.addr)
    }
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The GP Connect FHIR base URL for a practice served at `addr`.
pub fn gp_base_url(addr: SocketAddr) -> String {
    format!("http://{addr}/{PRACTICE_ODS}/STU3/1/gpconnect/structured/fhir")
}

/// Binds `listener_addr` (use port 0 in tests) and serves the simulated practice in the
/// background.
pub async fn spawn(listener_addr: SocketAddr, population: usize) -> std::io::Result<RunningSim> {
    let listener = TcpListener::bind(listener_addr).await?;
    let addr = listener.local_addr()?;
    let app = gpconnect::router(population::Population::new(population));
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "simulated GP practice stopped");
        }
    });
    Ok(RunningSim { addr, task })
}
