//! The state every handler shares: the population, the configuration, the fault
//! table and the replays. Cheap to clone (everything inside is reference-counted).

use std::sync::Arc;

use crate::config::SimConfig;
use crate::faults::FaultTable;
use crate::population::Population;
use crate::replay::Replays;

/// Shared handler state.
#[derive(Clone)]
pub struct SimState {
    /// The synthetic population.
    pub population: Population,
    /// The configuration the simulator started with.
    pub config: Arc<SimConfig>,
    /// Latency and fault rules, changeable at run time through the control endpoint.
    pub faults: FaultTable,
    /// Fixtures answering for particular NHS numbers.
    pub replays: Replays,
}
