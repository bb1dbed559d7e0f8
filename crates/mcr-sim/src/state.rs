//! The state every handler shares: the population, the configuration and the fault
//! table. Cheap to clone (everything inside is reference-counted).

use std::sync::Arc;

use crate::config::SimConfig;
use crate::faults::FaultTable;
use crate::population::Population;

/// Shared handler state.
#[derive(Clone)]
pub struct SimState {
    /// The synthetic population.
    pub population: Population,
    /// The configuration the simulator started with.
    pub config: Arc<SimConfig>,
    /// Latency and fault rules, changeable at run time through the control endpoint.
    pub faults: FaultTable,
}
